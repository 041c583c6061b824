"""axe-core in the browser tests: installed from the npm registry by `make test` (Makefile, target
axe), never from a CDN; the test injects the file into each page."""

from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_2_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = {"serious", "critical"}


def phone_context(browser):
    """A 390×844 Chinese phone's browser context in which axe can run: the CSP is bypassed only so
    that axe can be injected as an inline script (the app's CSP allows only its own files).

    The context puts axe-core into every page it opens, before the page's own
    scripts: sent to the browser once, rather than 0.5 MB of script sent and added to each page
    after it loaded (that took 115 ms a page, 40 % of the phone walk's time)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,
    )
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(AXE_JS))
    return context


# axe's run, and what the phone walk reads of the page beside it (its width against the screen's,
# its links), in one call: each call is a round trip to the browser, ~20 ms on a loaded machine.
# Null when the page has no axe yet (a context other than ``phone_context``'s).
_RUN = """async ({tags, withPage}) => {
  // A table row shown as a card (below 48rem) lays each cell out as its label and its value side by
  // side: a value made of several pieces (a link and a note, a badge and a reason) must be one
  // element, or its pieces spread across the card. The labels of the cells that are not.
  const splitCells = () => Array.from(document.querySelectorAll('table.cards-on-phone td[data-label]'), td => {
    if (getComputedStyle(td).display !== 'flex') return null;
    const pieces = Array.from(td.childNodes).filter(n => n.nodeType === Node.TEXT_NODE ? n.textContent.trim() !== ''
      : n.nodeType === Node.ELEMENT_NODE && getComputedStyle(n).display !== 'none'
        && !['absolute', 'fixed'].includes(getComputedStyle(n).position));
    return pieces.length > 1 ? td.dataset.label : null;
  }).filter(Boolean);
  if (typeof window.axe === 'undefined') return null;
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  if (!withPage) return {violations: result.violations};
  return {
    violations: result.violations,
    widths: [document.documentElement.scrollWidth, window.innerWidth],
    links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
    split: splitCells(),
  };
}"""


def _run(page, *, with_page: bool) -> dict:
    arguments = {"tags": WCAG_2_A_AA, "withPage": with_page}
    report = page.evaluate(_RUN, arguments)
    if report is None:
        page.add_script_tag(path=str(AXE_JS))
        report = page.evaluate(_RUN, arguments)
    return report


def _serious(violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        if violation["impact"] in SERIOUS:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            lines.append(f"{violation['impact']} {violation['id']}: {violation['help']} [{targets}]")
    return lines


def axe_violations(page) -> list[str]:
    """The page's serious and critical WCAG 2 A/AA violations, one line each."""
    return _serious(_run(page, with_page=False)["violations"])


def axe_page_report(page) -> tuple[list[str], tuple[int, int], list[str], list[str]]:
    """In one call to the browser: the serious and critical violations (as ``axe_violations``),
    the page's scroll width and the screen's width, the absolute URLs of the page's links, and the
    labels of the card cells whose value is split into pieces (tables shown as cards on a phone)."""
    report = _run(page, with_page=True)
    scroll_width, screen_width = report["widths"]
    return _serious(report["violations"]), (scroll_width, screen_width), report["links"], report["split"]
