"""Language selection and template helpers for dates and money."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_babel import Domain, get_translations

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


class KeptCatalogDomain(Domain):
    """Flask-Babel's message domain, except that the catalog found for a request (or an app
    context) is kept with that context's Flask-Babel state and used again while its locale is the
    same object (so ``force_locale``, which sets another, still applies).

    Flask-Babel looks the locale up and formats its name to find the catalog on every
    ``gettext``, a lazy string's included: some 20 µs each, and a page translates dozens of
    texts. The app's Babel gives this domain (grants/extensions.py)."""

    def get_translations(self):
        state = g.get("_flask_babel") if g else None
        kept = getattr(state, "grants_catalog", None)
        if kept is not None and kept[0] is getattr(state, "babel_locale", None) and kept[1] is self:
            return kept[2]
        translations = super().get_translations()
        state = g.get("_flask_babel") if g else None  # created by the lookup above
        if state is not None and getattr(state, "babel_locale", None) is not None:
            state.grants_catalog = (state.babel_locale, self, translations)
        return translations


def request_translations():
    """This request's (or app context's) catalog: looked up once, then kept (KeptCatalogDomain)."""
    return get_translations()


def _format(text: str, variables: dict) -> str:
    # Always a format string, as Jinja's new-style gettext does (so "%%" reads "%" everywhere);
    # a text without "%" formats to itself, which spares the formatting of most texts.
    return text % variables if variables or "%" in text else text


def _template_gettext(translations):
    """Templates' `_()`/`gettext()` with a catalog looked up already (or, without one, per call).

    It takes the evaluation context (is autoescaping on?), not the template context: Jinja derives
    a copy of the whole template context for every call of a ``pass_context`` function made inside
    a loop or a block that sets variables, i.e. for most texts of a page."""
    from jinja2 import pass_eval_context
    from markupsafe import Markup

    @pass_eval_context
    def gettext(__eval_ctx, __string: str, **variables):
        catalog = translations if translations is not None else request_translations()
        text = catalog.ugettext(__string)
        if __eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704  (a catalog text, trusted as in Jinja's own gettext)
        return _format(text, variables)

    return gettext


def install_template_gettext(app) -> None:
    """Templates' `_()`/`gettext()`/`ngettext()` through `request_translations`: the same texts and
    the same new-style formatting as Jinja's i18n extension, with one call instead of three.

    A page's own templates get `_` bound to the request's catalog when rendering starts (a
    context processor: see `rendering_gettext`); macros imported without the page's context
    use these globals, which look the catalog up on each call."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    gettext = _template_gettext(None)
    app.jinja_env.globals.update(_=gettext, gettext=gettext)


def rendering_gettext() -> dict:
    """`_` and `gettext` for one rendering, bound to the catalog in force when it starts (a
    ``force_locale`` around ``render_template`` included)."""
    gettext = _template_gettext(request_translations())
    return {"_": gettext, "gettext": gettext}
