"""Sign in, sign out, registration, password change, own account page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from grants.auth import service
from grants.auth.forms import LoginForm, PasswordForm, RegisterForm
from grants.db import db, unit_of_work
from grants.errors import DomainError
from grants.extensions import limiter
from grants.forms import apply_domain_error
from grants.org.service import all_communities
from grants.security import safe_next_url

bp = Blueprint("auth", __name__)


def _login_key() -> str:
    return "login:" + (request.form.get("login") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code != 302


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, key_func=_login_key, scope="login-account")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        with unit_of_work() as session:
            user = service.authenticate(session, login=form.login.data, password=form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(_("欢迎回来，%(name)s。", name=user.display_name), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
        form.password.errors.append(_("手机号/用户名或密码不正确。"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("main.index"))


def _community_choices() -> list[tuple[int, str]]:
    return [(0, _("暂不选择"))] + [
        (c.id, f"{c.street.district.name} · {c.full_name}") for c in all_communities(db.session)
    ]


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    form.community_id.choices = _community_choices()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                community = service.community_or_none(session, form.community_id.data)
                user = service.register_user(
                    session,
                    login=form.login.data,
                    display_name=form.display_name.data,
                    password=form.password.data,
                    community=community,
                    min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
                )
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            login_user(user)
            flash(_("注册成功，欢迎您！"), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.change_password(
                    session,
                    user=current_user,
                    current_password=form.current_password.data,
                    new_password=form.new_password.data,
                    min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                )
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            login_user(current_user, remember=False)  # re-issue the session with the new version
            flash(_("密码已修改。其他设备上的登录已失效。"), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


@bp.get("/account")
@login_required
def account():
    return render_template("auth/account.html", user=current_user)
