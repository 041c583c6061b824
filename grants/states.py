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
    # The substantive step that makes this move (e.g. finalizing the results): such a move is
    # never offered as a button and is refused unless that step performs it.
    step: Callable[[], str] | None = None


@dataclass(frozen=True)
class Option:
    """A move shown to an actor: offered as a button when ``refusal`` is None, else explained."""

    transition: Transition
    refusal: str | None


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
        self.extra_guards: dict[tuple[str, str], list[Callable[[Any], str | None]]] = {}

    def add_guard(self, source: str, target: str, guard: Callable[[Any], str | None]) -> None:
        """Let a higher layer add a condition to a move (e.g. the results domain to "funding")."""
        assert (source, target) in self.table, (source, target)
        guards = self.extra_guards.setdefault((str(source), str(target)), [])
        if guard not in guards:
            guards.append(guard)

    def refusal(self, rule: Transition, obj) -> str | None:
        """Why the move may not happen now (the first guard that refuses), or None."""
        guards = ([rule.guard] if rule.guard else []) + self.extra_guards.get((str(rule.source), str(rule.target)), [])
        for guard in guards:
            if message := guard(obj):
                return message
        return None

    def options(self, obj, actor) -> list[Option]:
        """The moves by hand from the object's current state that this actor may perform, each
        with the reason it is refused now (None when it may happen)."""
        return [
            Option(t, self.refusal(t, obj))
            for (source, _target), t in self.table.items()
            if source == obj.status and t.step is None and t.allowed(actor, obj)
        ]

    def available(self, obj, actor) -> list[Transition]:
        """Moves by hand from the object's current state that this actor may perform now."""
        return [option.transition for option in self.options(obj, actor) if option.refusal is None]

    def pending_steps(self, obj) -> list[Transition]:
        """Moves from the current state that only a substantive step makes (to explain them)."""
        return [t for (source, _target), t in self.table.items() if source == obj.status and t.step is not None]

    def transition(
        self,
        session: Session,
        obj,
        target: str,
        *,
        actor,
        reason: str | None = None,
        by_step: bool = False,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Move ``obj`` to ``target``. A move that follows from a substantive step is made only by
        that step's service, which passes ``by_step=True``; ``details`` (e.g. the new version a
        decision created) go into the audit entry beside the new status.

        Raises:
            InvalidTransition: the move is not in the table from the current state, or it follows
                from a step and is attempted by hand.
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
        if rule.step is not None and not by_step:
            raise InvalidTransition(
                _(
                    "“%(target)s”只能通过“%(step)s”进入，不能直接变更。",
                    target=self.state_label(target),
                    step=rule.step(),
                )
            )
        if not rule.allowed(actor, obj):
            raise NotAllowed(_("您没有权限执行此操作。"))
        reason = (reason or "").strip() or None
        if rule.requires_reason and not reason:
            raise DomainError(_("请填写原因。"), field="reason")
        if message := self.refusal(rule, obj):
            raise DomainError(message)
        obj.status = target
        audit.record(
            session,
            actor=actor,
            action=rule.action,
            obj=obj,
            district_id=self.district_of(obj),
            before={"status": source},
            after={"status": target, **(details or {})},
            reason=reason,
        )
        session.flush()
