"""What a project's journey (项目全程) reads: one query shaped for each part of the page.

Each function selects the columns its part shows, never an object graph, and issues one query
(``money`` two) whatever the number of rounds, tranches, budget lines, reports, activities or
later proposals. Functions with ``public=True`` never read what the public version leaves out:
pending or rejected expenses, reports that were not evaluated, unanswered objections.
No request here and no permission: the service decides who sees which part.
"""

from grants.journey.queries.funding import (  # noqa: F401
    GrantRow,
    LineRow,
    ReportRow,
    TrancheRow,
    budget_lines,
    grant,
    money,
    reports,
    tranches,
)
from grants.journey.queries.group import (  # noqa: F401
    LATEST_ACTIVITIES,
    ActivityRow,
    LaterRow,
    group,
    later_proposals,
    latest_activities,
)
from grants.journey.queries.proposal import (  # noqa: F401
    Core,
    Listing,
    ObjectionRow,
    People,
    Person,
    RoundRow,
    core,
    listings,
    objections,
    people,
    rounds,
)
