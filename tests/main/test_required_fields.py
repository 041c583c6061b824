"""Every form marks the fields it requires the same way: a hand-written field whose input is
``required`` has the red asterisk after its label (as the WTForms macro adds it), and no field
carries the asterisk without being required."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LABEL = re.compile(r'<label for="([\w-]+)"[^>]*>.*?</label>(\s*<span class="required")?', re.S)


def _mismatches(text: str) -> list[tuple[str, str]]:
    found = []
    for label in LABEL.finditer(text):
        field_id, marked = label.group(1), label.group(2) is not None
        control = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', text)
        if control is None:
            continue  # a label for a control the template builds otherwise (a macro, a loop)
        required = re.search(r"\srequired(?=[\s>={/])", control.group(0)) is not None
        if required != marked:
            found.append((field_id, "required but not marked" if required else "marked but not required"))
    return found


def test_the_check_finds_both_kinds_of_mismatch():
    assert _mismatches('<label for="a">A</label><input id="a" name="a" required>') == [("a", "required but not marked")]
    assert _mismatches('<label for="b">B</label> <span class="required">*</span><input id="b" name="b">') == [
        ("b", "marked but not required")
    ]
    assert not _mismatches('<label for="c">C</label> <span class="required">*</span><textarea id="c" required>')
    assert _mismatches('<label for="d">D</label><input id="d" required{{ invalid("d") }}>') == [
        ("d", "required but not marked")
    ]


def test_every_required_field_is_marked_and_only_those():
    problems = {
        str(path.relative_to(TEMPLATES)): found
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (found := _mismatches(path.read_text(encoding="utf-8")))
    }
    assert not problems, problems
