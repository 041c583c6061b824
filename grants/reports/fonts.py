"""Fonts for printed documents: one shared WeasyPrint font configuration, a check that
the CJK family named in static/css/pdf.css is installed (Debian: fonts-noto-cjk), and the
reduced CJK fonts (grants/reports/fontsubset.py) declared to every document when they exist."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urljoin

from weasyprint.text.fonts import FontConfiguration

log = logging.getLogger(__name__)

# The families static/css/pdf.css asks for, in its order; any one of them renders Chinese.
CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")


@dataclass(frozen=True)
class ReducedFont:
    """A copy of a Noto CJK face cut down to the characters in everyday use (GB2312)."""

    family: str  # the @font-face family the stylesheets name first
    weight: str  # "normal" or "bold"
    source_family: str  # the installed family it is cut from, named right after it
    filename: str  # under static/fonts/


REDUCED_FONTS = (
    ReducedFont("Grants Serif CJK", "normal", "Noto Serif CJK SC", "GrantsSerifCJK-Regular.otf"),
    ReducedFont("Grants Serif CJK", "bold", "Noto Serif CJK SC", "GrantsSerifCJK-Bold.otf"),
    ReducedFont("Grants Sans CJK", "normal", "Noto Sans CJK SC", "GrantsSansCJK-Regular.otf"),
    ReducedFont("Grants Sans CJK", "bold", "Noto Sans CJK SC", "GrantsSansCJK-Bold.otf"),
)
FONTS_FOLDER = "fonts"  # under the static folder

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


def reduced_fonts(static_dir: str | Path) -> list[ReducedFont]:
    """The reduced fonts that were generated (``make fonts``) into the static folder."""
    folder = Path(static_dir) / FONTS_FOLDER
    return [font for font in REDUCED_FONTS if (folder / font.filename).is_file()]


def font_face_css(*, base_url: str, static_dir: str | Path, static_url_path: str) -> str:
    """@font-face rules for the generated reduced fonts ("" when there are none): served by the
    renderer's static-asset fetcher like any other asset of the document."""
    prefix = urljoin(base_url, static_url_path.strip("/") + f"/{FONTS_FOLDER}/")
    return "\n".join(
        f'@font-face {{ font-family: "{font.family}"; font-weight: {font.weight}; '
        f'src: url("{urljoin(prefix, font.filename)}"); }}'
        for font in reduced_fonts(static_dir)
    )
