"""Import every domain's models so that the metadata (and Alembic) sees all tables."""

from grants.audit.models import AuditEntry, SecurityEvent  # noqa: F401
from grants.auth.models import RoleGrant, User  # noqa: F401
from grants.editions.models import Criterion, Edition, EditionCategory, Round  # noqa: F401
from grants.funding.models import Grant, LedgerEntry, TranchePlanPart  # noqa: F401
from grants.incubation.models import Group, GroupMember  # noqa: F401
from grants.judging.models import (  # noqa: F401  # noqa: F401, E402
    Assignment,
    AwardTier,
    ConflictOfInterest,
    EligibilityDecision,
    JudgeGroup,
    JudgeGroupMember,
    RoundResult,
    Score,
)
from grants.notifications.models import Notification  # noqa: F401
from grants.org.models import Community, District, Street  # noqa: F401
from grants.proposals.models import (  # noqa: F401
    ActivityPlanItem,
    Attachment,
    BudgetCategory,
    BudgetLine,
    Proposal,
    ProposalVersion,
    TeamMember,
)
from grants.reports.models import DocumentJob  # noqa: F401
from grants.results.models import Holiday, Objection, Publication, PublicationEntry  # noqa: F401
