"""The judge pool of an edition, conflicts of interest, manual reassignment, and importing paper
score sheets. Imports read CSV (UTF-8 with or without BOM, or GBK/GB18030 as Excel saves it) or
XLSX, check every row, and store nothing when any row is wrong."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import load_workbook
from sqlalchemy import Integer, delete, func, or_, select
from sqlalchemy.orm import Session

from grants import audit
from grants.auth import service as auth_service
from grants.auth.models import Role, RoleGrant, User
from grants.editions import policy as edition_policy
from grants.editions.models import Edition, Round
from grants.editions.states import RoundStatus
from grants.errors import DomainError, NotAllowed
from grants.judging import integrity
from grants.judging.models import Assignment, ConflictOfInterest
from grants.judging.sheets import judges_of_edition, parse_points, save_sheet
from grants.judging.states import SheetStatus, sheet_machine
from grants.org.csvimport import decode
from grants.params import whole_number
from grants.proposals.models import Proposal
from grants.text import has_control_characters

MAX_ROWS = 2000


class ImportRejected(DomainError):
    """Rows that could not be imported; nothing was stored. ``problems``: "第N行：…" messages."""

    def __init__(self, problems: list[str]):
        super().__init__(_("导入失败，没有保存任何数据。请修改以下%(n)d处后重新上传。", n=len(problems)))
        self.problems = problems


@dataclass
class PoolEntry:
    judge: User
    sheets: int
    submitted: int


@dataclass
class ImportedJudge:
    user: User
    password: str | None  # a one-time password for a new account, None for an existing one


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)  # data rows, numbered from line 2


def _organizer(actor, edition: Edition) -> None:
    """The edition's organizer, or the command line (actor None)."""
    if actor is not None and not edition_policy.can_manage_edition(actor, edition):
        raise NotAllowed(_("您没有权限执行此操作。"))


def read_table(data: bytes, filename: str) -> Table:
    """The header and rows of an uploaded CSV or XLSX file.

    Raises: DomainError when the file is empty, unreadable or too long.
    """
    if filename.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a broken file
            raise DomainError(_("无法读取这个Excel文件，请另存为.xlsx或CSV后重试。"), field="file") from exc
        rows = [["" if v is None else str(v).strip() for v in row] for row in book.active.iter_rows(values_only=True)]
    else:
        text = decode(data)
        if text is None:
            raise DomainError(_("文件编码无法识别，请保存为UTF-8或GBK编码的CSV。"), field="file")
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    for line, row in enumerate(rows, start=1):
        if any(has_control_characters(cell) for cell in row):
            raise DomainError(_("第%(line)d行含有不可见的控制字符，请删除后重新上传。", line=line), field="file")
    rows = [row for row in rows if any(row)]
    if not rows:
        raise DomainError(_("文件是空的。"), field="file")
    if len(rows) > MAX_ROWS + 1:
        raise DomainError(_("一次最多导入%(n)d行。", n=MAX_ROWS), field="file")
    return Table(header=rows[0], rows=rows[1:])


def _column(header: list[str], *names: str) -> int | None:
    wanted = {n.lower() for n in names}
    return next((i for i, h in enumerate(header) if h.strip().lower() in wanted), None)


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


# --- the pool ---------------------------------------------------------------------------------------


def pool(session: Session, edition: Edition) -> list[PoolEntry]:
    """The edition's judges with their sheet counts, in two queries."""
    judges = judges_of_edition(session, edition.id)
    counts = {
        judge_id: (total, done or 0)
        for judge_id, total, done in session.execute(
            select(
                Assignment.judge_id,
                func.count(Assignment.id),
                func.sum((Assignment.status == SheetStatus.SUBMITTED.value).cast(Integer)),
            )
            .join(Round, Round.id == Assignment.round_id)
            .where(Round.edition_id == edition.id)
            .group_by(Assignment.judge_id)
        )
    }
    return [PoolEntry(j, *counts.get(j.id, (0, 0))) for j in judges]


def add_judge(session: Session, *, actor, edition: Edition, login: str) -> User:
    """Raises: NotAllowed; DomainError (no such account, already a judge)."""
    _organizer(actor, edition)
    user = auth_service.find_user_by_login(session, (login or "").strip())
    if user is None:
        raise DomainError(_("没有找到这个手机号或用户名的账号。"), field="login")
    if user.id in {j.id for j in judges_of_edition(session, edition.id)}:
        raise DomainError(_("%(name)s已经是本届评委。", name=user.display_name), field="login")
    auth_service.grant_role(session, actor=actor, user=user, role=Role.JUDGE, scope=edition)
    return user


def remove_judge(session: Session, *, actor, edition: Edition, judge: User) -> None:
    """Raises: NotAllowed; DomainError when the judge already has score sheets in this edition."""
    _organizer(actor, edition)
    sheets = session.scalar(
        select(func.count(Assignment.id))
        .join(Round, Round.id == Assignment.round_id)
        .where(Round.edition_id == edition.id, Assignment.judge_id == judge.id)
    )
    if sheets:
        raise DomainError(_("%(name)s已有评分表，不能移出评委库；可以改派他的评分表。", name=judge.display_name))
    grant = session.scalar(
        select(RoleGrant).where(
            RoleGrant.user_id == judge.id, RoleGrant.role == Role.JUDGE.value, RoleGrant.edition_id == edition.id
        )
    )
    if grant is None:
        raise DomainError(_("%(name)s不是本届评委。", name=judge.display_name))
    auth_service.revoke_role(session, actor=actor, grant=grant)


_LOGIN_COLUMN = ("登录名", "账号", "手机号", "login")


def one_time_passwords(session: Session, table: Table) -> dict[str, tuple[str, str]]:
    """Login → (one-time password, its hash) for each valid login of the file that has no account
    yet, reading only: called before ``import_judges``' write transaction, as no write
    transaction is to be open while argon2 works (a good part of a second for each password)."""
    login_col = _column(table.header, *_LOGIN_COLUMN)
    logins = {auth_service.normalize_login(_cell(row, login_col)) for row in table.rows} - {""}
    if not logins:
        return {}
    taken = set()
    for username, mobile in session.execute(
        select(User.username, User.mobile).where(or_(User.username.in_(logins), User.mobile.in_(logins)))
    ):
        taken.update((username, mobile))
    made = {}
    for login in sorted(logins - taken):
        try:
            auth_service.classify_login(login)
        except DomainError:
            continue  # import_judges names the row
        password = secrets.token_urlsafe(9)
        made[login] = (password, auth_service.hash_password(password))
    return made


def import_judges(
    session: Session,
    *,
    actor,
    edition: Edition,
    table: Table,
    passwords: dict[str, tuple[str, str]] | None = None,
) -> list[ImportedJudge]:
    """Add the file's judges to the pool: existing accounts by login, new ones created with a
    one-time password (``passwords``: made by ``one_time_passwords`` before the transaction; a
    login without one gets its password made here). Columns: 登录名 (mobile or user name), 姓名,
    社区 (optional, new accounts).

    Raises: NotAllowed; DomainError (missing columns); ImportRejected (row problems, nothing stored).
    """
    from grants.org.models import Community

    _organizer(actor, edition)
    login_col = _column(table.header, *_LOGIN_COLUMN)
    name_col = _column(table.header, "姓名", "name")
    community_col = _column(table.header, "社区", "community")
    if login_col is None or name_col is None:
        raise DomainError(_("第一行应为表头，至少包括“登录名”和“姓名”两列。"), field="file")
    # Community names are unique within a street only: "街道/社区" picks one, a bare name must be unambiguous.
    communities: dict[str, list[Community]] = {}
    for c in session.scalars(select(Community).where(Community.street.has(district_id=edition.district_id))):
        communities.setdefault(c.name, []).append(c)
    current = {j.id for j in judges_of_edition(session, edition.id)}
    problems: list[str] = []
    plan: list[tuple[str, str, object, User | None]] = []
    seen: set[str] = set()
    for line, row in enumerate(table.rows, start=2):
        login, name, community_name = _cell(row, login_col), _cell(row, name_col), _cell(row, community_col)
        if not login:
            problems.append(_("第%(n)d行：登录名不能为空。", n=line))
            continue
        login = auth_service.normalize_login(login)
        if login in seen:
            problems.append(_("第%(n)d行：登录名%(login)s在文件中重复。", n=line, login=login))
            continue
        seen.add(login)
        user = auth_service.find_user_by_login(session, login)
        community = None
        if community_name:
            street_name, _slash, bare_name = community_name.replace("／", "/").rpartition("/")
            matches = [
                c
                for c in communities.get(bare_name.strip(), [])
                if not street_name.strip() or c.street.name == street_name.strip()
            ]
            if not matches:
                problems.append(_("第%(n)d行：本区没有名为“%(name)s”的社区。", n=line, name=community_name))
                continue
            if len(matches) > 1:
                problems.append(_("第%(n)d行：本区有多个“%(name)s”，请写成“街道/社区”。", n=line, name=community_name))
                continue
            community = matches[0]
        if user is None:
            try:
                auth_service.classify_login(login)
            except DomainError:
                problems.append(_("第%(n)d行：“%(login)s”不是有效的手机号或用户名。", n=line, login=login))
                continue
            if not name or len(name) > 50:
                problems.append(_("第%(n)d行：新账号需要填写姓名（不超过50个字符）。", n=line))
                continue
        elif user.id in current:
            continue  # already a judge of this edition: nothing to do
        plan.append((login, name, community, user))
    if problems:
        raise ImportRejected(problems)
    imported = []
    for login, name, community, user in plan:
        password = None
        if user is None:
            password, password_hash = (passwords or {}).get(login) or (secrets.token_urlsafe(9), None)
            user = auth_service.register_user(
                session,
                login=login,
                display_name=name,
                password=password,
                password_hash=password_hash,
                community=community,
                actor=actor,
            )
            user.must_change_password = True  # the one-time password is changed at first sign-in
        auth_service.grant_role(session, actor=actor, user=user, role=Role.JUDGE, scope=edition)
        imported.append(ImportedJudge(user, password))
    return imported


# --- conflicts of interest and reassignment -------------------------------------------------------


def conflicts_of(session: Session, edition: Edition) -> list[ConflictOfInterest]:
    return list(
        session.scalars(
            select(ConflictOfInterest)
            .where(ConflictOfInterest.edition_id == edition.id)
            .order_by(ConflictOfInterest.created_at.desc(), ConflictOfInterest.id.desc())
        )
    )


def _record_conflict(session, *, actor, edition, judge_id: int, proposal_id: int, reason: str) -> ConflictOfInterest:
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise DomainError(_("请写明利益冲突的原因（不超过500个字符）。"), field="reason")
    conflict = session.scalar(
        select(ConflictOfInterest).where(
            ConflictOfInterest.edition_id == edition.id,
            ConflictOfInterest.judge_id == judge_id,
            ConflictOfInterest.proposal_id == proposal_id,
        )
    )
    if conflict is None:
        conflict = ConflictOfInterest(
            edition_id=edition.id, judge_id=judge_id, proposal_id=proposal_id, declared_by_id=actor.id, reason=reason
        )
        session.add(conflict)
    # Sheets not yet touched go; scored or submitted ones are withdrawn (kept as a record, never
    # counted) and wait for the organizer to reassign them.
    removed = session.execute(
        delete(Assignment).where(
            Assignment.judge_id == judge_id,
            Assignment.proposal_id == proposal_id,
            Assignment.status == SheetStatus.ASSIGNED.value,
            ~Assignment.scores.any(),
            Assignment.round_id.in_(
                select(Round.id).where(Round.edition_id == edition.id, Round.status != RoundStatus.CLOSED.value)
            ),
        )
    ).rowcount
    session.flush()
    withdrawn = integrity.withdraw_for_conflict(
        session, actor=actor, edition_id=edition.id, judge_id=judge_id, proposal_id=proposal_id, reason=reason
    )
    audit.record(
        session,
        actor=actor,
        action="conflict.declare",
        obj=conflict,
        district_id=edition.district_id,
        after={
            "judge_id": judge_id,
            "proposal_id": proposal_id,
            "reason": reason,
            "sheets_removed": removed,
            "sheets_withdrawn": withdrawn,
        },
    )
    return conflict


def declare_own_conflict(session: Session, *, actor, assignment: Assignment, reason: str) -> None:
    """A judge declares a conflict on one of their sheets; the sheet is withdrawn from them.

    Raises: NotAllowed (not their sheet); DomainError (already scored: ask the organizer).
    """
    if actor is None or actor.id != assignment.judge_id:
        raise NotAllowed(_("这不是分配给您的评分表。"))
    if assignment.status == SheetStatus.SUBMITTED or assignment.scores:
        raise DomainError(_("这张评分表已经打过分，请联系主办方处理利益冲突。"))
    _record_conflict(
        session,
        actor=actor,
        edition=assignment.round.edition,
        judge_id=actor.id,
        proposal_id=assignment.proposal_id,
        reason=reason,
    )


def declare_conflict(
    session: Session, *, actor, edition: Edition, judge_id: int, proposal_id: int, reason: str
) -> None:
    """The organizer records a conflict between a judge of the pool and a proposal of the edition.

    Raises: NotAllowed; DomainError (not a judge of the edition, not a proposal of it, no reason).
    """
    _organizer(actor, edition)
    if judge_id not in {j.id for j in judges_of_edition(session, edition.id)}:
        raise DomainError(_("请选择本届的评委。"), field="judge_id")
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.edition_id != edition.id:
        raise DomainError(_("请选择本届的申报项目。"), field="proposal_id")
    _record_conflict(session, actor=actor, edition=edition, judge_id=judge_id, proposal_id=proposal_id, reason=reason)


def reassign(session: Session, *, actor, assignment: Assignment, judge_id: int) -> Assignment:
    """Give an unsubmitted or withdrawn sheet to another judge of the pool (its points, if any, are
    cleared; a withdrawn sheet's record stays in the audit log).

    Raises: NotAllowed; DomainError (round closed, sheet submitted or held, judge not in the pool,
        in conflict with the proposal, or already scoring it in this round).
    """
    rnd = assignment.round
    _organizer(actor, rnd.edition)
    if rnd.status == RoundStatus.CLOSED.value:
        raise DomainError(_("本轮已结束，不能改派。"))
    if assignment.status == SheetStatus.SUBMITTED:
        raise DomainError(_("评分表已提交，请先解锁再改派。"))
    if assignment.status == SheetStatus.HELD:
        raise DomainError(_("这张评分表的评委评审资格已撤销，请先决定保留或作废。"))
    judges = {j.id: j for j in judges_of_edition(session, rnd.edition_id)}
    new_judge = judges.get(judge_id)
    if new_judge is None or judge_id == assignment.judge_id:
        raise DomainError(_("请选择另一位本届评委。"), field="judge_id")
    proposal = assignment.proposal
    declared = session.scalar(
        select(ConflictOfInterest.id).where(
            ConflictOfInterest.edition_id == rnd.edition_id,
            ConflictOfInterest.judge_id == judge_id,
            ConflictOfInterest.proposal_id == proposal.id,
        )
    )
    if declared or (new_judge.community_id is not None and new_judge.community_id == proposal.community_id):
        raise DomainError(_("%(name)s与这个项目有利益冲突。", name=new_judge.display_name), field="judge_id")
    if session.scalar(
        select(Assignment.id).where(
            Assignment.round_id == rnd.id, Assignment.judge_id == judge_id, Assignment.proposal_id == proposal.id
        )
    ):
        raise DomainError(_("%(name)s已经在评这个项目。", name=new_judge.display_name), field="judge_id")
    before = assignment.judge_id
    if assignment.status == SheetStatus.WITHDRAWN:
        sheet_machine.transition(session, assignment, SheetStatus.ASSIGNED.value, actor=actor)
        assignment.withdrawal_cause = assignment.withdrawal_reason = None
        assignment.withdrawn_by_id = assignment.withdrawn_at = None
    assignment.judge_id, assignment.comment, assignment.entered_by_id = judge_id, "", None
    assignment.submitted_at = None
    assignment.scores.clear()
    session.flush()
    session.expire(assignment, ["judge"])
    audit.record(
        session,
        actor=actor,
        action="sheet.reassign",
        obj=assignment,
        district_id=rnd.edition.district_id,
        before={"judge_id": before},
        after={"judge_id": judge_id},
    )
    return assignment


# --- paper sheets --------------------------------------------------------------------------------------


def import_sheets(session: Session, *, actor, rnd: Round, table: Table) -> int:
    """Enter a round's paper sheets on the judges' behalf and submit them; returns how many.

    Columns: 评委 (login), 项目编号, one column per criterion named as in the rubric, 评语 (optional).
    Every row is checked first (judge, assignment, points within each criterion's maximum).

    Raises: NotAllowed; DomainError (round not open, missing columns); ImportRejected.
    """
    _organizer(actor, rnd.edition)
    if rnd.status != RoundStatus.OPEN.value:
        raise DomainError(_("本轮评审没有在进行中。"))
    judge_col = _column(table.header, "评委", "评委账号", "登录名", "judge")
    proposal_col = _column(table.header, "项目编号", "proposal_id", "project id")
    comment_col = _column(table.header, "评语", "comment")
    criterion_cols = {c.id: _column(table.header, c.name) for c in rnd.criteria}
    missing = [c.name for c in rnd.criteria if criterion_cols[c.id] is None]
    if judge_col is None or proposal_col is None or missing:
        raise DomainError(
            _("表头应包括“评委”“项目编号”和每项评分标准：%(names)s。", names="、".join(c.name for c in rnd.criteria)),
            field="file",
        )
    sheets = {
        (a.judge_id, a.proposal_id): a
        for a in session.scalars(select(Assignment).where(Assignment.round_id == rnd.id)).unique()
    }
    conflicts = {
        tuple(pair)
        for pair in session.execute(
            select(ConflictOfInterest.judge_id, ConflictOfInterest.proposal_id).where(
                ConflictOfInterest.edition_id == rnd.edition_id
            )
        )
    }
    problems: list[str] = []
    plan: list[tuple[Assignment, dict[int, str], str]] = []
    seen: set[tuple[int, int]] = set()
    for line, row in enumerate(table.rows, start=2):
        user = auth_service.find_user_by_login(session, _cell(row, judge_col))
        proposal_text = _cell(row, proposal_col)
        if user is None:
            problems.append(_("第%(n)d行：找不到评委账号“%(login)s”。", n=line, login=_cell(row, judge_col)))
            continue
        proposal_id = whole_number(proposal_text)
        if proposal_id is None:
            problems.append(_("第%(n)d行：项目编号应为数字。", n=line))
            continue
        key = (user.id, proposal_id)
        assignment = sheets.get(key)
        if assignment is None:
            problems.append(
                _("第%(n)d行：本轮没有给%(judge)s分配%(id)s号项目。", n=line, judge=user.display_name, id=proposal_text)
            )
            continue
        if key in seen:
            problems.append(_("第%(n)d行：与前面的行重复。", n=line))
            continue
        seen.add(key)
        if block := integrity.sheet_block(session, assignment, conflicts=conflicts):
            problems.append(_("第%(n)d行：%(problem)s", n=line, problem=block))
            continue
        if assignment.status == SheetStatus.SUBMITTED:
            problems.append(_("第%(n)d行：这张评分表已提交，需先解锁。", n=line))
            continue
        raw = {cid: _cell(row, col) for cid, col in criterion_cols.items()}
        try:
            parse_points(raw, rnd, complete=True)
        except DomainError as err:
            problems.append(_("第%(n)d行：%(problem)s", n=line, problem=str(err)))
            continue
        comment = _cell(row, comment_col)
        if len(comment) > 2000:
            problems.append(_("第%(n)d行：评语不能超过2000个字符。", n=line))
            continue
        plan.append((assignment, raw, comment))
    if problems:
        raise ImportRejected(problems)
    if not plan:
        raise DomainError(_("文件中没有评分数据。"), field="file")
    for assignment, raw, comment in plan:
        save_sheet(
            session, actor=actor, assignment=assignment, raw_points=raw, comment=comment, submit=True, on_behalf=True
        )
    return len(plan)
