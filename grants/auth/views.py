"""Sign in, sign out, registration, password change, own account page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.audit.security import EventKind, record_event
from grants.auth import service, sessions, throttle
from grants.auth.forms import LoginForm, PasswordForm, RegisterForm
from grants.db import db, unit_of_work
from grants.errors import DomainError
from grants.extensions import limiter
from grants.forms import apply_domain_error
from grants.org.service import all_communities
from grants.security import safe_next_url

bp = Blueprint("auth", __name__)


def _failed(response) -> bool:
    return response.status_code != 302


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _wait_text(seconds: int) -> str:
    if seconds < 120:
        return _("%(n)d 秒", n=seconds)
    return _("%(n)d 分钟", n=-(-seconds // 60))


def _security_event(kind: EventKind, login: str) -> None:
    record_event(kind, login=login, address=request.remote_addr or "", method=request.method, path=request.path)


@bp.route("/login", methods=["GET", "POST"])
# Per client address, whichever accounts it tries; per (account, address) pair: auth/throttle.py.
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        name, address = form.login.data.strip(), request.remote_addr or ""
        if wait := throttle.wait_seconds(name, address):
            _security_event(EventKind.LOGIN_LOCKED, name)
            form.password.errors.append(
                _("从您这里登录这个账号失败的次数太多，请 %(time)s后再试。", time=_wait_text(wait))
            )
            return render_template("auth/login.html", form=form), 429
        checked = service.check_login(db.session, login=name, password=form.password.data)
        user = None
        if checked is not None:
            with unit_of_work() as session:
                user = service.record_login(session, checked)
        if user is not None:
            throttle.record_success(name, address)
            sessions.start(user, remember=form.remember.data)
            flash(_("欢迎回来，%(name)s。", name=user.display_name), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
        wait = throttle.record_failure(name, address)
        _security_event(EventKind.LOGIN_FAILED, name)
        form.password.errors.append(_("手机号/用户名或密码不正确。"))
        if wait:
            form.password.errors.append(_("失败次数太多，请 %(time)s后再试。", time=_wait_text(wait)))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        with unit_of_work() as session:
            service.end_sessions(session, user=current_user)
    sessions.end()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("main.index"))


def _community_choices() -> list[tuple[int, str]]:
    return [(0, _("暂不选择"))] + [
        (c.id, f"{c.street.district.name} · {c.full_name}") for c in all_communities(db.session)
    ]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    form.community_id.choices = _community_choices()
    if form.validate_on_submit():
        fields = {
            "login": form.login.data,
            "display_name": form.display_name.data,
            "password": form.password.data,
            "min_password_length": current_app.config["PASSWORD_MIN_LENGTH"],
        }
        try:
            password_hash = service.hash_new_account_password(**fields)
            with unit_of_work() as session:
                community = service.community_or_none(session, form.community_id.data)
                user = service.register_resident(session, **fields, password_hash=password_hash, community=community)
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            if user is None:
                _security_event(EventKind.REGISTER_TAKEN, form.login.data.strip())
            # The same answer whether or not the name was free, so that it tells a stranger nothing.
            flash(
                _(
                    "如果“%(login)s”以前没有注册过，账号已经建好，请用刚才设置的密码登录。"
                    "如果它早已注册，那个账号没有任何改变，请用它原来的密码登录；忘记密码请联系主办方。",
                    login=form.login.data.strip(),
                ),
                "info",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            checked = service.check_password_change(
                user=current_user,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
                min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
            with unit_of_work() as session:
                service.change_password(session, user=current_user, checked=checked)
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            sessions.start(current_user._get_current_object())  # a new session with the new version
            flash(_("密码已修改。其他设备上的登录已失效。"), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


@bp.get("/account")
@login_required
def account():
    return render_template("auth/account.html", user=current_user)
