"""The small register_* steps create_app() is made of."""

from __future__ import annotations

from itertools import chain

from flask import Flask, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.middleware.proxy_fix import ProxyFix

from grants import PROJECT_ROOT, http_cache, money, templating, timeutil
from grants.db import db
from grants.errors import ConcurrentChange
from grants.extensions import babel, csrf, limiter, login_manager, migrate
from grants.i18n import LANGUAGE_NAMES, html_lang, install_template_gettext, rendering_gettext, select_babel_locale

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def register_request_slots(app: Flask) -> None:
    """At most REQUEST_SLOTS requests of this process run the app at once (grants/slots.py)."""
    if slots := app.config["REQUEST_SLOTS"]:
        from grants.slots import RequestSlots

        app.wsgi_app = RequestSlots(app.wsgi_app, slots=slots, max_body=app.config["MAX_CONTENT_LENGTH"])


def register_extensions(app: Flask) -> None:
    if proxies := app.config.get("PROXY_COUNT"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    from grants.auth.cookies import CookieSessionInterface

    app.session_interface = CookieSessionInterface()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    from grants import csrf as csrf_tokens

    csrf_tokens.register(app)
    babel.init_app(app, locale_selector=select_babel_locale, default_translation_directories="translations")
    install_template_gettext(app)
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    login_manager.refresh_view = "auth.login"
    login_manager.session_protection = "basic"

    from grants.auth import sessions

    login_manager.user_loader(sessions.load_user)
    sessions.register(app)


def register_blueprints(app: Flask) -> None:
    from grants.audit.views import bp as audit_bp
    from grants.auth.roles_views import bp as roles_bp
    from grants.auth.views import bp as auth_bp
    from grants.editions.views import bp as editions_bp
    from grants.figures.views import bp as figures_bp
    from grants.figures.views import public_bp as public_figures_bp
    from grants.funding.views import bp as funding_bp
    from grants.incubation.views import bp as incubation_bp
    from grants.incubation.views.ratings import bp as ratings_bp
    from grants.journey.views import bp as journey_bp
    from grants.judging.views import bp as judging_bp
    from grants.main.views import bp as main_bp
    from grants.notifications.views import bp as notifications_bp
    from grants.org.views import bp as org_bp
    from grants.proposals.views import bp as proposals_bp
    from grants.results.api import bp as api_bp
    from grants.results.document_views import bp as documents_bp
    from grants.results.public_views import bp as public_bp
    from grants.results.views import bp as results_bp

    for blueprint in (
        main_bp,
        auth_bp,
        roles_bp,
        org_bp,
        editions_bp,
        audit_bp,
        proposals_bp,
        judging_bp,
        results_bp,
        public_bp,
        documents_bp,
        api_bp,
        notifications_bp,
        funding_bp,
        incubation_bp,
        ratings_bp,
        journey_bp,
        figures_bp,
        public_figures_bp,
    ):
        app.register_blueprint(blueprint)


ERROR_TEXTS = {
    400: (_l("请求有误"), _l("提交的内容无法处理，请返回检查后重试。")),
    403: (_l("没有权限"), _l("您没有权限查看或修改这个内容。如果您认为这是错误，请联系主办方。")),
    404: (_l("页面不存在"), _l("您要找的页面不存在，或者已被删除。")),
    405: (_l("不支持的操作"), _l("这个页面不支持此操作。")),
    409: (_l("操作冲突"), _l("其他人刚刚同时修改了这项内容，您的操作没有生效。请刷新页面后重试。")),
    413: (_l("文件太大"), _l("上传的内容超过了大小限制（%(limit)s），请压缩或拆分后再试。")),
    429: (_l("操作太频繁"), _l("您的操作太频繁了，请稍等几分钟再试。")),
    500: (_l("系统出错了"), _l("服务器遇到了意外问题，我们已经记录下来。请稍后再试。")),
}


def _human_size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def render_error(code: int, detail: str | None = None):
    title, message = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    from flask import current_app

    message = (
        str(message) % {"limit": _human_size(current_app.config["MAX_CONTENT_LENGTH"])} if code == 413 else str(message)
    )
    if request.path.startswith("/api/"):
        return jsonify(error=str(title), message=detail or message), code
    return render_template("errors/error.html", code=code, title=title, message=message, detail=detail), code


def record_refused_access() -> None:
    """Write a refused access (403) to the security log, in its own transaction."""
    from flask_login import current_user

    from grants.audit.security import EventKind, record_event

    user = current_user if current_user.is_authenticated else None
    record_event(
        EventKind.FORBIDDEN,
        login=user.login_name if user else "",
        user_id=user.id if user else None,
        address=request.remote_addr or "",
        method=request.method,
        path=request.path,
    )


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return render_error(400, _("表单已过期或缺少安全令牌，请刷新页面后重新提交。"))

    @app.errorhandler(ConcurrentChange)
    def concurrent_change(err: ConcurrentChange):
        # A view that does not show domain errors itself: a race lost even after the retries.
        db.session.rollback()
        return render_error(409)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if err.code is None or err.code < 400:
            return err
        if err.code == 403:
            record_refused_access()
        response = render_error(err.code if err.code in ERROR_TEXTS else 400)
        if isinstance(err, MethodNotAllowed) and err.valid_methods:
            # A 405 names the methods the URL accepts (RFC 9110), as werkzeug's own page does.
            body, code = response
            response = app.make_response((body, code, {"Allow": ", ".join(sorted(err.valid_methods))}))
        return response

    @app.errorhandler(Exception)
    def unexpected_error(err: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)


def register_input_guards(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        # No form or filter legitimately carries a NUL character, and PostgreSQL cannot store
        # one: refuse such a request up front with a clear 400 instead of failing deeper down.
        # Only what a request carries is parsed: a query string, a form's body (werkzeug parses no
        # other body into ``request.form``).
        args = request.args.values() if request.query_string else ()
        form = request.form.values() if request.mimetype in _FORM_TYPES else ()
        if any("\x00" in value for value in chain(args, form)):
            return render_error(400)
        return None


def register_request_parameters(app: Flask) -> None:
    """Bounded numbers in URLs and query strings (before the blueprints add their rules)."""
    from grants.params import BadParameter, BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter

    @app.errorhandler(BadParameter)
    def bad_parameter(err: BadParameter):
        return render_error(400, str(err))


def register_security_headers(app: Flask) -> None:
    always = SECURITY_HEADERS
    secure_only = (*SECURITY_HEADERS, ("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def security_headers(response):
        headers = response.headers
        # Each header unless the view set its own: one pass over the answer's headers, not one per name.
        present = {name.lower() for name, _value in headers.items()}
        for name, value in secure_only if app.config["SESSION_COOKIE_SECURE"] else always:
            if name.lower() not in present:
                headers.add(name, value)
        response = http_cache.cache_public_response(response)
        headers = response.headers
        if request.endpoint and not request.endpoint.startswith(("static", "main.index", "main.healthz")):
            # Pages of signed-in users are not to be kept by shared caches.
            headers.setdefault("Cache-Control", "no-store")
        return response


def register_template_helpers(app: Flask) -> None:
    from grants import assets
    from grants.auth import policy as auth_policy
    from grants.auth.labels import role_label, scope_label
    from grants.main.nav import nav_menu
    from grants.reports.pdf import page_footer_content

    app.jinja_env.add_extension("jinja2.ext.do")
    assets.register(app)  # versioned static URLs, before url_for learns any
    app.jinja_env.globals["url_for"] = templating.kept_url_for(app)
    app.jinja_env.globals["pdf_page_footer"] = page_footer_content

    app.jinja_env.filters["money"] = money.format_fen
    app.jinja_env.filters["yuan_input"] = money.fen_to_yuan_input
    app.jinja_env.filters["localtime"] = timeutil.format_local
    app.jinja_env.filters["localdate"] = lambda v: timeutil.format_local(v, "%Y-%m-%d")
    app.jinja_env.filters["deadline"] = timeutil.format_deadline  # ends of periods: "… 24:00"

    app.jinja_env.globals.update(
        auth_policy=auth_policy,
        language_names=LANGUAGE_NAMES,
        nav_menu=nav_menu,
        role_label=role_label,
        scope_label=scope_label,
    )

    @app.context_processor
    def inject_locale():
        # What depends on the request: its language, and `_` bound to its catalog.
        locale = str(get_locale() or "zh_Hans_CN")
        return {"current_locale": locale, "html_lang": html_lang(locale), **rendering_gettext()}


def register_cli(app: Flask) -> None:
    from grants.cli import register_commands

    register_commands(app)
