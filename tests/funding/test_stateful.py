"""A stateful property test of the whole funding stretch, through the real services.

Hypothesis drives random sequences of: sign, request / approve / reject / pay / fail / return a
disbursement, record / accept / reject an expense, ask for / approve / reject / withdraw a budget
change, suspend, resume, submit / evaluate (pass or fail) / return a mid-term or final report,
refund, settle, terminate and any move by hand, each by a chosen person (organizer_a requests,
finance_a approves, org_fin_a holds both roles and must never approve their own request). An
``advance`` rule takes the natural next steps so that sequences reach the end (settled) too.

A refused step (DomainError) must change nothing. After every step the invariants are checked
from the database (raw SQL next to the services' own figures): Σ paid ≤ approved; on a signed
grant Σ tranches = approved and Σ current budget lines = approved, no line overspent; ledger
balance = disbursed − returned − refunded = balances.of_grant / ledger.balance, never below zero,
and in step with the disbursements; at most one live disbursement per tranche; requester ≠
approver on every approved disbursement; expenses + refunds ≤ approved; a settled grant balances
exactly (paid − refunded = accepted expenses, nothing pending).

Each example gets a fresh grant in the test's database (the world, the users and the edition's
50 / 40 / 10 tranche plan are shared by the examples of one run) and first takes a random number
of natural steps, so that its random part starts anywhere in the lifecycle, settled included.
"""

from __future__ import annotations

import io
import itertools
import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

from flask import current_app
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.orm import lazyload

from grants import timeutil
from grants.auth.models import Role
from grants.errors import DomainError, NotAllowed
from grants.funding import (
    balances,
    budget_changes,
    disbursements,
    evaluations,
    expenses,
    ledger,
    plan,
    reports,
    rubrics,
    service,
    settlement,
)
from grants.funding.budget_changes import ProposedLine
from grants.funding.models import (
    BudgetChange,
    BudgetItem,
    BudgetVersionLine,
    Disbursement,
    Expense,
    Grant,
    GrantReport,
    GrantStatus,
    Tranche,
)
from grants.funding.tranches import Condition, Part
from grants.proposals.models import Attachment, BudgetCategory

SIGNED_ON = date(2026, 11, 20)
G = GrantStatus

# The tables whose rows a refused step must leave as they were (counted in `snapshot`).
TABLES = (
    "grants",
    "tranches",
    "disbursements",
    "ledger_entries",
    "grant_budget_items",
    "grant_budget_versions",
    "grant_budget_version_lines",
    "grant_budget_changes",
    "expenses",
    "grant_reports",
    "grant_evaluations",
    "attachments",
    "audit_entries",
)
# Their row counts in one statement (a snapshot is taken before every step).
COUNT_ROWS = text("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in TABLES))  # noqa: S608


@dataclass
class Context:
    """What the machine needs from the test's fixtures (set by the test before it runs)."""

    session: object
    world: object
    make_grant: object
    both: object  # an organizer of district A who also holds its finance role


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 160, 60)).save(out, format="JPEG")
    return out.getvalue()


PHOTO = _photo()
_invoices = itertools.count(1)
_vouchers = itertools.count(1)


class FundingMachine(RuleBasedStateMachine):
    ctx: Context | None = None

    # --- setup ---------------------------------------------------------------------------------

    @initialize(
        approved=st.integers(min_value=60_000, max_value=240_000),
        head=st.integers(0, 24),
        detours=st.booleans(),
    )
    def new_grant(self, approved, head=0, detours=False):
        ctx = self.ctx
        self.s = ctx.session
        w = ctx.world
        self.org, self.fin, self.both, self.staff = w.organizer_a, w.finance_a, ctx.both, w.staff_a
        grant = ctx.make_grant(w.edition_a, approved_fen=approved, community=w.community_a)
        self.grant_id = grant.id
        self.lead = grant.proposal.applicant
        self.last_invoice = None
        self.suspended_by_hand = False
        self.outcomes: list[str] = []
        # Random steps from a fresh grant seldom get past its first payment (four steps in the
        # right order), so each example first takes ``head`` natural steps: its random part then
        # starts anywhere from the unsigned grant to the settled one.
        self.advance(head, detours)

    # --- helpers -------------------------------------------------------------------------------

    @property
    def grant(self) -> Grant:
        # The grant's own row; its proposal is loaded when a service uses it (the mapping's joined
        # chain of the proposal's edition, applicant, team, plan, budget and attachments made these
        # reads, after every step's expire_all, most of this test's time).
        return self.s.get(Grant, self.grant_id, options=[lazyload(Grant.proposal)])

    def pick(self, model, index, order=None):
        rows = list(self.s.scalars(select(model).where(model.grant_id == self.grant_id).order_by(order or model.id)))
        return rows[index % len(rows)] if rows else None

    def snapshot(self):
        s, gid = self.s, self.grant_id
        counts = tuple(s.execute(COUNT_ROWS).one())
        grant = s.execute(text("SELECT status, status_reason FROM grants WHERE id = :g"), {"g": gid}).one()
        states = tuple(
            tuple(s.execute(text(f"SELECT id, status FROM {t} WHERE grant_id = :g ORDER BY id"), {"g": gid}).all())  # noqa: S608
            for t in ("disbursements", "expenses", "grant_budget_changes", "grant_reports")
        )
        return counts, tuple(grant), states

    def attempt(self, label, call, *, must_refuse=None) -> bool:
        """Run one service call: committed when it succeeds; when it is refused, nothing changed."""
        self.s.commit()
        before = self.snapshot()
        try:
            call()
            self.s.flush()
        except DomainError as refusal:
            self.s.rollback()
            assert self.snapshot() == before, f"{label}: refused ({refusal}) but the database changed"
            if must_refuse is not None:
                assert isinstance(refusal, must_refuse), f"{label}: refused with {refusal!r}, expected {must_refuse}"
            self.outcomes.append(f"{label}: refused")
            return False
        assert must_refuse is None, f"{label}: should have been refused ({must_refuse.__name__})"
        self.s.commit()
        self.outcomes.append(f"{label}: done")
        return True

    def who(self, index, people):
        return people[index % len(people)]

    # --- agreement -----------------------------------------------------------------------------

    def _sign(self, actor):
        scan = Attachment(
            proposal_id=None,
            uploaded_by_id=self.org.id,
            stored_name=f"scan-{secrets.token_hex(8)}",
            original_name="协议扫描件.png",
            mime="image/png",
            size=1234,
            sha256="0" * 64,
        )
        self.s.add(scan)
        self.s.flush()
        service.sign(
            self.s,
            actor=actor,
            grant=self.grant,
            signed_on=SIGNED_ON,
            receiving_unit="甲一社区居民委员会",
            account_name="甲一社区居民委员会",
            account_bank="农业银行城关支行",
            account_no="6228 4800 1234 5678",
            scan=scan,
        )

    @rule(person=st.integers(0, 2))
    def sign(self, person):
        actor = self.who(person, [self.org, self.both, self.fin])
        self.attempt("sign", lambda: self._sign(actor), must_refuse=NotAllowed if actor is self.fin else None)

    # --- disbursements -------------------------------------------------------------------------

    @rule(tranche=st.integers(0, 5), person=st.integers(0, 2))
    def request(self, tranche, person):
        t = self.pick(Tranche, tranche, Tranche.position)
        if t is None:
            return
        actor = self.who(person, [self.org, self.both, self.fin])
        self.attempt(
            "request",
            lambda: disbursements.request(self.s, actor=actor, tranche=t),
            must_refuse=NotAllowed if actor is self.fin else None,
        )

    @rule(pick=st.integers(0, 5), person=st.integers(0, 1))
    def approve(self, pick, person):
        d = self.pick(Disbursement, pick)
        if d is None:
            return
        actor = self.who(person, [self.fin, self.both])
        own = d.requested_by_id == actor.id
        self.attempt(
            "approve own" if own else "approve",
            lambda: disbursements.approve(self.s, actor=actor, disbursement=d),
            must_refuse=NotAllowed if own else None,
        )

    @rule(pick=st.integers(0, 5), person=st.integers(0, 1))
    def reject_disbursement(self, pick, person):
        d = self.pick(Disbursement, pick)
        if d is not None:
            actor = self.who(person, [self.fin, self.org])
            self.attempt(
                "reject disbursement",
                lambda: disbursements.reject(self.s, actor=actor, disbursement=d, reason="材料不全"),
                must_refuse=NotAllowed if actor is self.org else None,
            )

    @rule(pick=st.integers(0, 5), person=st.integers(0, 1))
    def pay(self, pick, person):
        d = self.pick(Disbursement, pick)
        if d is not None:
            actor = self.who(person, [self.fin, self.both])
            self.attempt(
                "pay",
                lambda: disbursements.record_payment(
                    self.s, actor=actor, disbursement=d, paid_on=timeutil.today(), voucher_ref=f"PZ-{next(_vouchers)}"
                ),
            )

    @rule(pick=st.integers(0, 5))
    def fail(self, pick):
        d = self.pick(Disbursement, pick)
        if d is not None:
            self.attempt(
                "fail", lambda: disbursements.record_failure(self.s, actor=self.fin, disbursement=d, reason="户名不符")
            )

    @rule(pick=st.integers(0, 5))
    def bank_return(self, pick):
        d = self.pick(Disbursement, pick)
        if d is not None:
            self.attempt(
                "return",
                lambda: disbursements.record_returned(self.s, actor=self.fin, disbursement=d, reason="账户冻结"),
            )

    # --- expenses ------------------------------------------------------------------------------

    def _record_expense(self, item, amount, invoice):
        app = current_app
        data = expenses.ExpenseData(
            spent_on=timeutil.today(),
            item_id=item.id,
            payee="花鸟市场",
            amount_fen=amount,
            purpose="花苗和土",
            invoice_no=invoice,
            receipt=expenses.Upload("发票.jpg", PHOTO, app.config["ATTACHMENT_MAX_BYTES"]),
        )
        expenses.record_expense(
            self.s,
            actor=self.lead,
            grant=self.grant,
            data=data,
            upload_dir=Path(app.config["UPLOAD_DIR"]),
        )

    @rule(item=st.integers(0, 3), amount=st.integers(1, 80_000), reuse=st.booleans())
    def expense(self, item, amount, reuse):
        line = self.pick(BudgetItem, item, BudgetItem.position)
        if line is None:
            return
        invoice = self.last_invoice if reuse and self.last_invoice else f"FP{next(_invoices):010d}"
        if self.attempt("expense", lambda: self._record_expense(line, amount, invoice)):
            self.last_invoice = invoice

    @rule(pick=st.integers(0, 9), accept=st.booleans(), person=st.integers(0, 1))
    def review(self, pick, accept, person):
        e = self.pick(Expense, pick)
        if e is not None:
            actor = self.who(person, [self.staff, self.org])
            self.attempt(
                "accept expense" if accept else "reject expense",
                lambda: expenses.review_expense(
                    self.s, actor=actor, expense=e, accept=accept, reason="" if accept else "票据不清"
                ),
            )

    # --- budget changes ------------------------------------------------------------------------

    def _proposed(self, share, new_line):
        version = service.current_budget(self.s, self.grant_id)
        if version is None:
            return None
        rows = list(
            self.s.execute(
                select(BudgetVersionLine.item_id, BudgetVersionLine.amount_fen)
                .join(BudgetItem, BudgetItem.id == BudgetVersionLine.item_id)
                .where(BudgetVersionLine.version_id == version.id)
                .order_by(BudgetItem.position)
            )
        )
        approved = self.grant.approved_fen
        amounts = [amount for _item, amount in rows]
        amounts[0] = approved * share // 100
        extra = approved * new_line // 100
        amounts[-1] += approved - extra - sum(amounts)
        lines = [
            ProposedLine(item_id, None, "", amount, 1) for (item_id, _a), amount in zip(rows, amounts, strict=True)
        ]
        if extra:
            category = self.s.scalars(
                select(BudgetCategory.id)
                .where(BudgetCategory.edition_id == self.grant.edition_id)
                .order_by(BudgetCategory.position)
            ).first()
            lines.append(ProposedLine(None, category, f"新增物资{next(_invoices)}", extra, 1))
        return lines

    @rule(share=st.integers(0, 100), new_line=st.sampled_from([0, 0, 5, 20]))
    def ask_budget_change(self, share, new_line):
        lines = self._proposed(share, new_line)
        if lines is None:
            return
        self.attempt(
            "budget change",
            lambda: budget_changes.request_change(
                self.s, actor=self.lead, grant=self.grant, lines=lines, reason="活动规模调整"
            ),
        )

    @rule(pick=st.integers(0, 3), outcome=st.sampled_from(["approve", "reject", "withdraw"]), person=st.integers(0, 1))
    def decide_budget_change(self, pick, outcome, person):
        change = self.pick(BudgetChange, pick)
        if change is None:
            return
        if outcome == "withdraw":
            call = lambda: budget_changes.withdraw_change(self.s, actor=self.lead, change=change)  # noqa: E731
            self.attempt("withdraw budget change", call)
            return
        actor = self.who(person, [self.org, self.fin])
        self.attempt(
            f"{outcome} budget change",
            lambda: budget_changes.decide_change(
                self.s,
                actor=actor,
                change=change,
                approve=outcome == "approve",
                note="" if outcome == "approve" else "理由不足",
            ),
            must_refuse=NotAllowed if actor is self.fin else None,
        )

    # --- status by hand ------------------------------------------------------------------------

    def _status(self, target, actor=None, reason="按规定处理"):
        actor = actor or self.org
        return self.attempt(
            f"status → {target}",
            lambda: service.change_status(self.s, actor=actor, grant=self.grant, target=target, reason=reason),
            must_refuse=NotAllowed if actor is self.fin and self._move_exists(target) else None,
        )

    def _move_exists(self, target) -> bool:
        from grants.funding.states import grant_machine

        transition = grant_machine.table.get((self.grant.status, target))
        return transition is not None and transition.step is None

    @rule()
    def suspend(self):
        self._status(G.SUSPENDED.value)

    @rule()
    def resume(self):
        self._status(G.IN_PROGRESS.value)

    @rule()
    def settle(self):
        self._status(G.SETTLED.value)

    @rule(go=st.integers(0, 9))
    def terminate(self, go):
        if go == 0:  # rarely: a terminated grant ends the interesting part of a sequence
            self._status(G.TERMINATED.value)

    @rule(state=st.sampled_from([s.value for s in GrantStatus]), person=st.integers(0, 1))
    def any_move_by_hand(self, state, person):
        if state != G.TERMINATED.value:
            self._status(state, self.who(person, [self.org, self.fin]))

    # --- reports and evaluations ---------------------------------------------------------------

    def _submit(self, kind):
        return reports.submit_report(
            self.s,
            actor=self.lead,
            grant=self.grant,
            kind=kind,
            summary="开展了三次楼道花园共建活动，居民踊跃参加。",
            beneficiaries="120",
            activities_count="3",
        )

    @rule(kind=st.sampled_from(["midterm", "final"]))
    def submit_report(self, kind):
        self.attempt(f"submit {kind}", lambda: self._submit(kind))

    def _evaluate(self, report, passed):
        rubric = rubrics.ensure_rubric(self.s, self.grant.edition_id, report.kind)
        scores = {i.id: str(i.max_points if passed else 0) for i in rubric.indicators}
        evaluations.evaluate_report(
            self.s, actor=self.org, report=report, scores=scores, comment="" if passed else "材料不全"
        )

    @rule(pick=st.integers(0, 5), passed=st.booleans())
    def evaluate(self, pick, passed):
        report = self.pick(GrantReport, pick)
        if report is not None:
            self.attempt(
                f"evaluate {report.kind} {'pass' if passed else 'fail'}", lambda: self._evaluate(report, passed)
            )

    @rule(pick=st.integers(0, 5))
    def return_report(self, pick):
        report = self.pick(GrantReport, pick)
        if report is not None:
            self.attempt(
                "return report",
                lambda: reports.return_report(self.s, actor=self.org, report=report, reason="请补充照片"),
            )

    # --- refunds -------------------------------------------------------------------------------

    def _refund(self, amount_fen):
        settlement.record_refund(
            self.s,
            actor=self.fin,
            grant=self.grant,
            returned_on=timeutil.today(),
            amount=f"{amount_fen / 100:.2f}",
            ref=f"TH-{next(_vouchers)}",
        )

    @rule(exact=st.booleans(), amount=st.integers(1, 100_000))
    def refund(self, exact, amount):
        if exact:  # all that may go back: held, less expenses accepted or waiting for review
            figures = balances.of_grant(self.s, self.grant_id)
            amount = max(figures.unspent_fen - figures.pending_expenses_fen, 1)
        self.attempt("refund", lambda: self._refund(amount))

    # --- the natural next steps ----------------------------------------------------------------

    @rule(steps=st.integers(1, 15), detours=st.booleans())
    def advance(self, steps, detours):
        """Take the natural next steps towards settlement, checking the invariants after each.
        With ``detours`` the first evaluation of each kind fails (a failed mid-term suspends the
        grant, a failed final sends it back to work) and the grant is suspended once by hand."""
        for _ in range(steps):
            self._next_step(detours)
            self.books_hold()

    def _next_step(self, detours=False):
        s, grant = self.s, self.grant
        status = grant.status
        if status == G.APPROVED.value:
            return self.attempt("sign", lambda: self._sign(self.org))
        if status == G.SUSPENDED.value:
            return self._status(G.IN_PROGRESS.value)
        if status in (G.SETTLED.value, G.TERMINATED.value):
            return None
        for d in s.scalars(
            select(Disbursement).where(
                Disbursement.grant_id == grant.id, Disbursement.status.in_(("requested", "approved"))
            )
        ):
            if d.status == "requested":
                if d.requested_by_id == self.both.id:  # four eyes: the requester holding both roles first
                    self.attempt(
                        "approve own",
                        lambda d=d: disbursements.approve(s, actor=self.both, disbursement=d),
                        must_refuse=NotAllowed,
                    )
                return self.attempt("approve", lambda d=d: disbursements.approve(s, actor=self.fin, disbursement=d))
            return self.attempt(
                "pay",
                lambda d=d: disbursements.record_payment(
                    s, actor=self.fin, disbursement=d, paid_on=timeutil.today(), voucher_ref=f"PZ-{next(_vouchers)}"
                ),
            )
        for t in service.tranches_of(s, grant.id):
            live = disbursements._live_of(s, t.id)
            if live is None and service.condition_refusal(s, grant, t) is None:
                requester = self.both if t.position % 2 else self.org
                return self.attempt("request", lambda t=t, r=requester: disbursements.request(s, actor=r, tranche=t))
        pending = s.scalars(select(Expense).where(Expense.grant_id == grant.id, Expense.status == "pending")).first()
        if pending is not None:
            return self.attempt(
                "accept expense",
                lambda: expenses.review_expense(s, actor=self.staff, expense=pending, accept=True, reason=""),
            )
        waiting = s.scalars(
            select(GrantReport).where(GrantReport.grant_id == grant.id, GrantReport.status == "submitted")
        ).first()
        if waiting is not None:
            passed = not detours or service.latest_evaluation(s, grant.id, waiting.kind) is not None
            outcome = "pass" if passed else "fail"
            return self.attempt(f"evaluate {waiting.kind} {outcome}", lambda: self._evaluate(waiting, passed))
        figures = balances.of_grant(s, grant.id)
        if status == G.IN_PROGRESS.value and detours and not self.suspended_by_hand:
            self.suspended_by_hand = True
            return self._status(G.SUSPENDED.value)
        if status == G.IN_PROGRESS.value:
            midterm = service.latest_evaluation(s, grant.id, "midterm")
            if midterm is None or not midterm.passed:
                return self.attempt("submit midterm", lambda: self._submit("midterm"))
            if figures.accepted_expenses_fen == 0:
                line = s.scalars(
                    select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position)
                ).first()
                amount = max(figures.held_fen // 2, 1)
                return self.attempt("expense", lambda: self._record_expense(line, amount, f"FP{next(_invoices):010d}"))
            return self.attempt("submit final", lambda: self._submit("final"))
        if status == G.COMPLETING.value:
            if figures.unspent_fen > 0:
                return self.attempt("refund", lambda: self._refund(figures.unspent_fen))
            return self._status(G.SETTLED.value)
        return None

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def books_hold(self):
        s, gid = self.s, self.grant_id
        s.expire_all()
        q = lambda sql: int(s.execute(text(sql), {"g": gid}).scalar() or 0)  # noqa: E731
        grant = self.grant
        approved = grant.approved_fen

        paid = q("SELECT SUM(amount_fen) FROM disbursements WHERE grant_id = :g AND status = 'paid'")
        assert paid <= approved, f"Σ paid {paid} > approved {approved}"

        if grant.signed_at is not None:
            tranches = q("SELECT SUM(amount_fen) FROM tranches WHERE grant_id = :g")
            assert tranches == approved, f"Σ tranches {tranches} ≠ approved {approved}"
            lines = q(
                "SELECT SUM(l.amount_fen) FROM grant_budget_version_lines l WHERE l.version_id = "
                "(SELECT id FROM grant_budget_versions WHERE grant_id = :g ORDER BY number DESC LIMIT 1)"
            )
            assert lines == approved, f"Σ current budget lines {lines} ≠ approved {approved}"
            # No line of the current budget is overspent (accepted + pending).
            over = s.execute(
                text(
                    "SELECT l.item_id FROM grant_budget_version_lines l "
                    "JOIN (SELECT item_id, SUM(amount_fen) AS spent FROM expenses "
                    "      WHERE grant_id = :g AND status <> 'rejected' GROUP BY item_id) e ON e.item_id = l.item_id "
                    "WHERE l.version_id = (SELECT id FROM grant_budget_versions WHERE grant_id = :g "
                    "                      ORDER BY number DESC LIMIT 1) AND e.spent > l.amount_fen"
                ),
                {"g": gid},
            ).all()
            assert not over, f"budget lines overspent: {over}"
        else:
            assert q("SELECT COUNT(*) FROM tranches WHERE grant_id = :g") == 0

        raw_balance = q("SELECT SUM(amount_fen) FROM ledger_entries WHERE grant_id = :g")
        disbursed = q("SELECT SUM(amount_fen) FROM ledger_entries WHERE grant_id = :g AND kind = 'disbursement'")
        returned = -q("SELECT SUM(amount_fen) FROM ledger_entries WHERE grant_id = :g AND kind = 'payment_returned'")
        refunded = -q("SELECT SUM(amount_fen) FROM ledger_entries WHERE grant_id = :g AND kind = 'refund'")
        figures = balances.of_grant(s, gid)
        assert raw_balance == disbursed - returned - refunded
        assert ledger.balance(s, gid) == raw_balance
        assert figures.held_fen == raw_balance, f"balances.held {figures.held_fen} ≠ ledger {raw_balance}"
        assert figures.paid_fen == disbursed - returned and figures.refunded_fen == refunded
        assert raw_balance >= 0, f"more money came back than went out: ledger balance {raw_balance}"
        # The ledger agrees with the disbursements: every payment recorded once, every bank return reversed.
        assert disbursed == q(
            "SELECT SUM(amount_fen) FROM disbursements WHERE grant_id = :g AND status IN ('paid', 'returned')"
        )
        assert returned == q("SELECT SUM(amount_fen) FROM disbursements WHERE grant_id = :g AND status = 'returned'")
        assert paid == disbursed - returned

        live = s.execute(
            text(
                "SELECT tranche_id, COUNT(*) FROM disbursements WHERE grant_id = :g "
                "AND status IN ('requested', 'approved', 'paid') GROUP BY tranche_id HAVING COUNT(*) > 1"
            ),
            {"g": gid},
        ).all()
        assert not live, f"more than one live disbursement for a tranche: {live}"
        own = q(
            "SELECT COUNT(*) FROM disbursements WHERE grant_id = :g "
            "AND approved_by_id IS NOT NULL AND approved_by_id = requested_by_id"
        )
        assert own == 0, "a disbursement approved by its requester"

        accepted = q("SELECT SUM(amount_fen) FROM expenses WHERE grant_id = :g AND status = 'accepted'")
        claimed = q("SELECT SUM(amount_fen) FROM expenses WHERE grant_id = :g AND status <> 'rejected'")
        # Money spent or claimed plus money given back never exceeds the grant; otherwise the
        # books could never balance again (settling needs paid − refunded = accepted expenses).
        assert claimed + refunded <= approved, f"expenses {claimed} + refunds {refunded} > approved {approved}"
        if grant.status == G.SETTLED.value:
            assert disbursed - returned - refunded == accepted, "a settled grant does not balance"
            assert q("SELECT COUNT(*) FROM expenses WHERE grant_id = :g AND status = 'pending'") == 0
        s.commit()

    def teardown(self):
        if self.ctx is not None and hasattr(self, "grant_id"):
            FundingMachine.finished.append((self.grant.status, self.outcomes))

    finished: ClassVar[list] = []


def _three_part_plan(session, world):
    """首期 50 % on signing, 中期 40 % after the mid-term, 尾款 10 % after the final evaluation."""
    plan.replace_plan(
        session,
        actor=world.organizer_a,
        edition=world.edition_a,
        parts=[
            Part("首期款", 5000, Condition.ON_SIGNING.value),
            Part("中期款", 4000, Condition.AFTER_MIDTERM_PASSED.value),
            Part("尾款", 1000, Condition.AFTER_FINAL_PASSED.value),
        ],
    )
    session.commit()


def test_random_funding_sequences_keep_the_books(app, session, world, make, make_grant):
    _three_part_plan(session, world)
    both = make.user("org_fin_a", roles=[(Role.ORGANIZER, world.district_a), (Role.FINANCE, world.district_a)])
    FundingMachine.ctx = Context(session=session, world=world, make_grant=make_grant, both=both)
    FundingMachine.finished = []
    try:
        run_state_machine_as_test(
            FundingMachine,
            settings=settings(
                max_examples=int(os.environ.get("FUNDING_EXAMPLES", "12")),
                stateful_step_count=30,
                deadline=None,
                database=None,
                derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            ),
        )
    finally:
        FundingMachine.ctx = None
    # The runs did real work, and refusals were met (and changed nothing).
    steps = [step for _status, outcomes in FundingMachine.finished for step in outcomes]
    assert any(step == "pay: done" for step in steps), steps
    assert any(step.endswith(": refused") for step in steps)
    assert session.scalar(select(func.count(Grant.id))) >= 5


def test_the_natural_path_reaches_a_settled_grant(app, session, world, make, make_grant):
    """The machine's ``advance`` alone (with detours) carries a grant from approval to settlement:
    suspended by hand and resumed, a failed mid-term (suspended again, resumed), a failed final
    evaluation, three tranches, an expense, a refund; the invariants hold after every step and
    the requester holding both roles is refused when approving their own request."""
    _three_part_plan(session, world)
    both = make.user("org_fin_a", roles=[(Role.ORGANIZER, world.district_a), (Role.FINANCE, world.district_a)])
    FundingMachine.ctx = Context(session=session, world=world, make_grant=make_grant, both=both)
    try:
        machine = FundingMachine()
        machine.new_grant(approved=123_457)
        for _ in range(60):
            if machine.grant.status == G.SETTLED.value:
                break
            machine.advance(steps=1, detours=True)
    finally:
        FundingMachine.ctx = None
    assert machine.grant.status == G.SETTLED.value, machine.outcomes
    for step in (
        "approve own: refused",
        "status → suspended: done",  # by hand
        "evaluate midterm fail: done",  # suspends the grant
        "status → in_progress: done",  # resumed
        "evaluate final fail: done",  # back to work, final report again
        "refund: done",
    ):
        assert step in machine.outcomes, (step, machine.outcomes)
    assert machine.outcomes.count("submit final: done") == 2
    assert [t.amount_fen for t in service.tranches_of(session, machine.grant_id)] == [61_728, 49_383, 12_346]
    assert (
        session.scalar(
            select(func.count(Disbursement.id)).where(
                Disbursement.grant_id == machine.grant_id, Disbursement.status == "paid"
            )
        )
        == 3
    )


def test_a_bank_return_after_a_refund_cannot_leave_more_money_back_than_out(app, session, world, make, make_grant):
    """Terminated with ¥600 paid and nothing spent, finance records the ¥600 returned (结余退回);
    then the bank sends the very payment back: recording that too would make the ledger say more
    money came back than ever went out. It is refused, and nothing changes."""
    both = make.user("org_fin_a", roles=[(Role.ORGANIZER, world.district_a), (Role.FINANCE, world.district_a)])
    FundingMachine.ctx = Context(session=session, world=world, make_grant=make_grant, both=both)
    try:
        machine = FundingMachine()
        machine.new_grant(approved=100_000)
        machine.advance(steps=5, detours=False)  # signed, first tranche requested, approved, paid
        assert machine.grant.status == G.IN_PROGRESS.value, machine.outcomes
        machine._status(G.TERMINATED.value)
        machine.refund(exact=True, amount=1)
        assert machine.outcomes[-1] == "refund: done"
        paid = session.scalars(select(Disbursement).where(Disbursement.status == "paid")).one()
        machine.bank_return(pick=0)
        machine.books_hold()
    finally:
        FundingMachine.ctx = None
    assert machine.outcomes[-1] == "return: refused"
    assert session.get(Disbursement, paid.id).status == "paid"
    assert ledger.balance(session, machine.grant_id) == 0


def test_a_refund_leaves_the_money_pending_expenses_need(app, session, world, make, make_grant):
    """At completion, everything paid (¥1,000), ¥300 of expenses accepted and ¥300 more waiting
    for review: the surplus that may be returned is ¥400, not ¥700 — else accepting the waiting
    expense would leave a grant that can never balance (paid − refunded < accepted expenses, and
    nothing left to pay). Once the surplus is back, no new expense may claim it."""
    both = make.user("org_fin_a", roles=[(Role.ORGANIZER, world.district_a), (Role.FINANCE, world.district_a)])
    FundingMachine.ctx = Context(session=session, world=world, make_grant=make_grant, both=both)
    try:
        machine = FundingMachine()
        machine.new_grant(approved=100_000)
        for _ in range(30):
            grant = machine.grant
            if grant.status == G.COMPLETING.value and balances.of_grant(session, grant.id).paid_fen == 100_000:
                break
            machine.advance(steps=1, detours=False)
        figures = balances.of_grant(session, machine.grant_id)
        assert (figures.held_fen, figures.accepted_expenses_fen) == (100_000, 30_000), machine.outcomes
        line = session.scalars(
            select(BudgetItem).where(BudgetItem.grant_id == machine.grant_id).order_by(BudgetItem.position)
        ).first()
        assert machine.attempt("expense", lambda: machine._record_expense(line, 30_000, "FP9900000001"))
        machine.refund(exact=False, amount=70_000)
        assert machine.outcomes[-1] == "refund: refused"
        machine.refund(exact=True, amount=1)
        assert machine.outcomes[-1] == "refund: done"
        # The surplus is back: no new expense may claim the money returned.
        assert not machine.attempt("expense", lambda: machine._record_expense(line, 1_000, "FP9900000002"))
        machine.advance(steps=2, detours=False)  # the waiting expense accepted; settled
        machine.books_hold()
    finally:
        FundingMachine.ctx = None
    figures = balances.of_grant(session, machine.grant_id)
    assert (figures.refunded_fen, figures.accepted_expenses_fen) == (40_000, 60_000)
    assert machine.grant.status == G.SETTLED.value, machine.outcomes
