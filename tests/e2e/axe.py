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


def axe_violations(page) -> list[str]:
    """The page's serious and critical WCAG 2 A/AA violations, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_2_A_AA,
    )
    lines = []
    for violation in result["violations"]:
        if violation["impact"] in SERIOUS:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            lines.append(f"{violation['impact']} {violation['id']}: {violation['help']} [{targets}]")
    return lines
