"""A small state-machine helper that every lifecycle uses.

Each domain declares its states and a table of allowed transitions in its own
``states.py``; :meth:`StateMachine.transition` is the one place an object's
``status`` changes: it checks the move and the actor's right, writes the audit
entry in the caller's transaction, and raises a translated domain error otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from grants import audit
from grants.errors import DomainError, InvalidTransition, NotAllowed


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str  # audit action, e.g. "edition.open"
    label: Callable[[], str]  # verb for buttons, e.g. lambda: _("开放申报")
    allowed: Callable[[Any, Any], bool]  # (actor, obj) -> bool
    requires_reason: bool = False
    guard: Callable[[Any], str | None] | None = None  # obj -> message why not, or None
    style: str = field(default="primary")


class StateMachine:
    def __init__(
        self,
        name: str,
        transitions: Iterable[Transition],
        *,
        state_label: Callable[[str], str],
        district_of: Callable[[Any], int | None] = lambda obj: None,
    ):
        self.name = name
        self.table = {(t.source, t.target): t for t in transitions}
        self.state_label = state_label
        self.district_of = district_of

    def available(self, obj, actor) -> list[Transition]:
        """Transitions from the object's current state that this actor may perform."""
        return [t for (source, _target), t in self.table.items() if source == obj.status and t.allowed(actor, obj)]

    def transition(self, session: Session, obj, target: str, *, actor, reason: str | None = None) -> None:
        """Move ``obj`` to ``target``.

        Raises:
            InvalidTransition: the move is not in the table from the current state.
            NotAllowed: the actor may not perform it.
            DomainError: a reason is required, or the transition's guard refuses.
        """
        source = obj.status
        rule = self.table.get((source, target))
        if rule is None:
            raise InvalidTransition(
                _(
                    "当前状态为“%(source)s”，不能变为“%(target)s”。",
                    source=self.state_label(source),
                    target=self.state_label(target),
                )
            )
        if not rule.allowed(actor, obj):
            raise NotAllowed(_("您没有权限执行此操作。"))
        reason = (reason or "").strip() or None
        if rule.requires_reason and not reason:
            raise DomainError(_("请填写原因。"), field="reason")
        if rule.guard is not None and (message := rule.guard(obj)):
            raise DomainError(message)
        obj.status = target
        audit.record(
            session,
            actor=actor,
            action=rule.action,
            obj=obj,
            district_id=self.district_of(obj),
            before={"status": source},
            after={"status": target},
            reason=reason,
        )
        session.flush()
