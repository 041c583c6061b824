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


def html_lang(locale: str) -> str:
    return "zh-CN" if locale.startswith("zh") else locale
