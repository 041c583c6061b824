"""The whole proposal rendered once per submitted version (the judge's sheet shows it on every visit).

A submitted version is immutable: the applicant edits only a draft or a returned proposal, and a
resubmission is a new version. So the HTML of ``proposals/_body.html`` for a submitted version is
kept in a small per-process LRU, keyed by everything it shows that could still change: the
version and the row's last update (any write to the proposal row bumps ``updated_at``), the
locale, the view's flags, and the names it shows from other rows (applicant, community, service
area). Budget categories are frozen once anyone applies (``budget_rules._editable``), and child
rows (team, plan, budget lines) are written only with a draft or a returned proposal, which is
never kept here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from flask import current_app, render_template
from flask_babel import get_locale
from markupsafe import Markup

from grants.proposals.models import Proposal
from grants.proposals.states import ProposalStatus

MAX_ENTRIES = 256
# Proposals whose content may still change in place: never kept.
_EDITABLE = frozenset({ProposalStatus.DRAFT.value, ProposalStatus.RETURNED.value})


def cacheable(proposal: Proposal) -> bool:
    """A submitted version (not a draft, not a returned proposal being corrected)."""
    return proposal.version > 0 and proposal.status not in _EDITABLE


def cache_key(proposal: Proposal, *, judge_view: bool, blind: bool, hx: str) -> tuple:
    community = proposal.community
    return (
        proposal.id,
        proposal.version,
        proposal.updated_at,
        str(get_locale()),
        judge_view,
        blind,
        hx,
        proposal.applicant.display_name,
        community.full_name if community is not None else None,
        proposal.category.name if proposal.category is not None else None,
    )


def proposal_body(proposal: Proposal, *, judge_view: bool = False, blind: bool = False, hx: str = "h2") -> Markup:
    """``proposals/_body.html`` for this proposal, from the cache when it is a submitted version."""

    def render() -> Markup:
        # A page's read model of the proposal (the judge's sheet) gives its own rows to render from.
        source = proposal.entity() if hasattr(proposal, "entity") else proposal
        html = render_template("proposals/_body.html", proposal=source, judge_view=judge_view, blind=blind, hx=hx)
        return Markup(html)  # noqa: S704  (an autoescaped template's output)

    if not cacheable(proposal):
        return render()
    return body_cache().get_or_render(cache_key(proposal, judge_view=judge_view, blind=blind, hx=hx), render)


class BodyCache:
    """A bounded LRU of rendered bodies; one per app (``app.extensions``), so apps never share one."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_render(self, key: tuple, render: Callable[[], Markup]) -> Markup:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
                return html
        html = render()  # outside the lock: two first visitors may both render, and store the same HTML
        with self._lock:
            self._entries[key] = html
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return html


def body_cache() -> BodyCache:
    """The current app's cache of rendered bodies."""
    return current_app.extensions.setdefault("proposal_bodies", BodyCache())
