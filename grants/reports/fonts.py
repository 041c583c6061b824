"""Fonts for printed documents: one shared WeasyPrint font configuration and a check that
the CJK family named in static/css/pdf.css is installed (Debian: fonts-noto-cjk)."""

from __future__ import annotations

import logging
import threading
from functools import cache

from weasyprint.text.fonts import FontConfiguration

log = logging.getLogger(__name__)

# The families static/css/pdf.css asks for, in its order; any one of them renders Chinese.
CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")

# Pango's font map and a shared FontConfiguration are not meant for two threads at once:
# renders in one process take turns (gunicorn's sync workers never wait on this).
render_lock = threading.Lock()


@cache
def font_configuration() -> FontConfiguration:
    """The process's FontConfiguration, reused by every render (building one scans the fonts)."""
    if not cjk_font_installed():
        log.warning(
            "none of the CJK fonts %s is installed: PDFs will show boxes instead of Chinese "
            "(install fonts-noto-cjk, see the Makefile)",
            ", ".join(CJK_FAMILIES),
        )
    return FontConfiguration()


@cache
def installed_families() -> frozenset[str]:
    """Every font family fontconfig knows on this machine (empty if it cannot be asked)."""
    try:
        from weasyprint.text.ffi import ffi, fontconfig
    except (ImportError, OSError):  # pragma: no cover - WeasyPrint's libraries are missing
        return frozenset()
    families: set[str] = set()
    config = fontconfig.FcInitLoadConfigAndFonts()
    try:
        fonts = fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem)
        value = ffi.new("FcChar8 **")
        for index in range(fonts.nfont if fonts != ffi.NULL else 0):
            pattern = fonts.fonts[index]
            n = 0
            while fontconfig.FcPatternGetString(pattern, b"family", n, value) == fontconfig.FcResultMatch:
                families.add(ffi.string(value[0]).decode("utf-8", "replace"))
                n += 1
    finally:
        fontconfig.FcConfigDestroy(config)
    return frozenset(families)


def cjk_font_installed() -> bool:
    return any(family in installed_families() for family in CJK_FAMILIES)
