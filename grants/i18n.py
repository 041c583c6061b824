"""Language selection and template helpers for dates and money."""

from __future__ import annotations

from flask import current_app, has_request_context, request

ZH = "zh_Hans_CN"
EN = "en"
LANGUAGE_NAMES = {ZH: "中文", EN: "English"}
LANG_COOKIE = "lang"


def select_locale() -> str:
    """The visitor's explicit choice (cookie), else the browser's preference, else Chinese."""
    if not has_request_context():  # command line and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in supported:
        return chosen
    for tag, _quality in request.accept_languages:
        tag = tag.lower()
        if tag.startswith("zh"):
            return ZH
        if tag.startswith("en"):
            return EN
    return current_app.config["BABEL_DEFAULT_LOCALE"]


_LOCALES: dict[str, object] = {}


def select_babel_locale():
    """Flask-Babel's locale selector: ``select_locale``'s choice as a Babel ``Locale`` parsed once per
    worker (parsing one per request looks the locale's data file up on disk every time)."""
    from babel import Locale

    tag = select_locale()
    locale = _LOCALES.get(tag)
    if locale is None:
        locale = _LOCALES.setdefault(tag, Locale.parse(tag))
    return locale


def html_lang(locale: str) -> str:
    return "zh-CN" if locale.startswith("zh") else locale


def request_translations():
    """This request's (or app context's) translations, looked up once and then kept on `g`.

    Flask-Babel resolves the domain, the locale and its catalog on every `_()` a template calls; a
    page calls it dozens of times. The catalog is kept beside Flask-Babel's own per-context state
    and used again while that context's locale is the same (so `force_locale` still applies)."""
    from flask import g
    from flask_babel import get_translations

    state = g.get("_flask_babel")
    if state is not None:
        kept = getattr(state, "grants_translations", None)
        if kept is not None and kept[0] is getattr(state, "babel_locale", None):
            return kept[1]
    translations = get_translations()
    state = g.get("_flask_babel")
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.grants_translations = (state.babel_locale, translations)
    return translations


def install_template_gettext(app) -> None:
    """Templates' `_()`/`gettext()`/`ngettext()` through `request_translations`: the same texts and
    the same new-style formatting as Jinja's i18n extension, with one call instead of three."""
    from jinja2 import pass_context
    from markupsafe import Markup

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )

    @pass_context
    def gettext(__context, __string: str, **variables):
        text = request_translations().ugettext(__string)
        if __context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704  (a catalog text, trusted as in Jinja's own gettext)
        # Always a format string, as Jinja's new-style gettext does (so "%%" reads "%" everywhere).
        return text % variables

    app.jinja_env.globals.update(_=gettext, gettext=gettext)
