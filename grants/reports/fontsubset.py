"""Make the reduced CJK fonts printed documents use first (run once at setup: `make fonts`).

    .venv/bin/python -m grants.reports.fontsubset [OUTPUT_DIR]

Noto CJK (Debian: fonts-noto-cjk) has some 65,000 glyphs; WeasyPrint subsets the font it embeds
but keeps the glyph numbering, so every PDF carried ~150 KB of font tables and the subsetting
itself took most of a long document's time. These copies keep only GB2312 (levels 1 and 2: the
6,763 characters of everyday Chinese and its symbols), ASCII, Latin-1 and CJK punctuation. The
stylesheets name the full Noto family right after them, so a rarer character (a name such as 堃
or 喆) still prints, from the full font.

The output is generated, not committed (see .gitignore); without it documents use the full fonts.
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from grants.reports.fonts import REDUCED_FONTS, ReducedFont

DEBIAN_NOTO = Path("/usr/share/fonts/opentype/noto")


def charset() -> set[int]:
    """Code points kept: GB2312, ASCII, Latin-1, general and CJK punctuation, full-width forms."""
    points: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    points |= set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    points |= set(range(0x2460, 0x24A0)) | set(range(0x2190, 0x2200)) | set(range(0x25A0, 0x2600))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return points


def source_of(font: ReducedFont) -> tuple[str, int]:
    """(file, index in the collection) of the installed Noto face, as fontconfig finds it."""
    style = "Bold" if font.weight == "bold" else "Regular"
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments, fontconfig's own tool
            ["fc-match", "-f", "%{family}|%{file}|%{index}", f"{font.source_family}:style={style}"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        family, path, index = out.split("|")
        if font.source_family in family.split(","):
            return path, int(index)
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    kind = "Serif" if "Serif" in font.source_family else "Sans"
    return str(DEBIAN_NOTO / f"Noto{kind}CJK-{style}.ttc"), 2  # SC is the third face of Debian's files


def make(font: ReducedFont, output_dir: Path) -> Path:
    """Write one reduced font; returns its path."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    path, index = source_of(font)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    # Horizontal Chinese needs no layout features (WeasyPrint also leaves them out of the PDF);
    # dropping them makes the subsetting several times faster and the file half the size.
    options.layout_features = []
    options.layout_closure = False
    options.drop_tables += ["GSUB", "GPOS", "BASE", "VORG", "vhea", "vmtx"]
    ttfont = TTFont(path, fontNumber=index, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=charset())
    subsetter.subset(ttfont)
    _rename(ttfont, font)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / font.filename
    partial = target.with_suffix(".tmp")
    ttfont.save(partial)
    partial.replace(target)
    return target


def _rename(ttfont, font: ReducedFont) -> None:
    """A modified font carries its own name (the copy is not the Noto font any more)."""
    style = "Bold" if font.weight == "bold" else "Regular"
    postscript = font.family.replace(" ", "") + "-" + style
    names = {1: font.family, 2: style, 3: f"{postscript};grants", 4: f"{font.family} {style}", 6: postscript}
    names |= {16: font.family, 17: style}
    table = ttfont["name"]
    for record in list(table.names):
        if record.nameID in names:
            table.removeNames(nameID=record.nameID)
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
    if "CFF " in ttfont:
        cff = ttfont["CFF "].cff
        cff.fontNames = [postscript]


def main(argv: list[str]) -> int:
    from grants import PROJECT_ROOT

    output_dir = Path(argv[0]) if argv else PROJECT_ROOT / "static" / "fonts"
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        paths = list(pool.map(make, REDUCED_FONTS, [output_dir] * len(REDUCED_FONTS)))
    for path in paths:
        print(f"{path} ({path.stat().st_size // 1024} KB)")
    print(f"reduced CJK fonts made in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
