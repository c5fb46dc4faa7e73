"""The HTML report in a real browser: headless Debian Chromium driven by Playwright.

String-level tests cannot prove that nothing *executes*; this one loads the page and checks what a
reader sees: the displayed scores equal the report JSON, hostile model output runs nothing (before and
after the sample browser shows it), a safety image unblurs on click, and the redact switch masks PII.
It also takes a screenshot of the rendered page (into the test's temp dir) to prove the page paints.
The README's screenshot comes from real runs instead: see ``docs/make-screenshot.sh``.

Needs ``pip install playwright`` (the Python package only; no ``playwright install``) and the Debian
``chromium`` package at ``/usr/bin/chromium``; skipped with the reason otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# CI sets MT_REQUIRE_BROWSER=1 after installing chromium: there a missing browser is a failure, not a skip.
if not CHROMIUM.exists():
    if os.environ.get("MT_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} not found but MT_REQUIRE_BROWSER=1 (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)", allow_module_level=True)
if os.environ.get("MT_REQUIRE_BROWSER") == "1":
    import playwright.sync_api as sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")

from multitrust.report.html import write_html  # noqa: E402


def _builders() -> Any:
    """The report/sample builders of test_html.py (test dirs are not packages, so load it by path)."""
    spec = importlib.util.spec_from_file_location("_mt_test_html", Path(__file__).with_name("test_html.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


B = _builders()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def report() -> dict[str, Any]:
    return B.make_report()


@pytest.fixture()
def page(browser: Any, tmp_path: Path, report: dict[str, Any]) -> Iterator[Any]:
    path = write_html(report, tmp_path / "report.html", B.make_samples(tmp_path, report))
    ctx = browser.new_context(viewport={"width": 1320, "height": 1000})
    pg = ctx.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    pg.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    # Only the file itself may be loaded: no network, no stray image fetch (e.g. <img src=x>).
    pg.on("request", lambda req: None if req.url.startswith(("file:", "data:")) else problems.append(req.url))
    pg.goto(path.as_uri())
    pg.wait_for_load_state("load")
    pg.problems = problems
    try:
        yield pg
    finally:
        ctx.close()


def _pwned(pg: Any) -> str:
    return pg.evaluate("typeof window.__pwned")


def _show(pg: Any, *, task: str = "", text: str = "") -> None:
    pg.select_option("#f-task", task)
    pg.fill("#f-text", text)


def test_displayed_scores_equal_report_json(page: Any, report: dict[str, Any]) -> None:
    for i, run in enumerate(report["runs"]):
        card = run["scorecard"]
        for tid, t in run["tasks"].items():
            cell = page.locator(f'[data-score-task="{tid}"][data-run="{i}"]')
            assert cell.text_content() == f"{t['score']:.2f}", (i, tid)
            assert float(cell.get_attribute("data-value")) == t["score"]
        for key, entry in card["subaspects"].items():
            text = page.locator(f'[data-score-subaspect="{key}"][data-run="{i}"]').text_content()
            assert text == ("—" if entry["score"] is None else f"{entry['score']:.2f}"), (i, key)
        for key, entry in card["aspects"].items():
            text = page.locator(f'[data-score-aspect="{key}"][data-run="{i}"]').text_content()
            assert text == ("—" if entry["score"] is None else f"{entry['score']:.2f}"), (i, key)
        overall = page.locator(f'[data-score-overall="{i}"]').text_content()
        assert overall == ("incomplete" if card["overall"] is None else f"{card['overall']:.2f}")
    # The missing tasks of the third run are shown as such, not as a number.
    assert page.locator('[data-missing-task="S.3"][data-run="2"]').text_content() == "not requested"
    assert page.problems == []


def test_hostile_output_runs_nothing(page: Any) -> None:
    assert _pwned(page) == "undefined"
    _show(page, task="T.6", text="pwned")
    cards = page.locator("#mt-sample-list article")
    assert cards.count() == 1
    response = cards.first.locator("pre.response").text_content()
    assert response == B.HOSTILE_RESPONSE  # shown literally, as text
    assert B.HOSTILE_PROMPT in cards.first.text_content()
    page.wait_for_timeout(300)  # give a would-be onerror handler time to fire
    assert _pwned(page) == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("#mt-sample-list script").count() == 0
    # Defence in depth: the CSP admits only the page's own script, so even an injected one stays inert.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 9'; "
        "document.body.appendChild(s); }"
    )
    assert _pwned(page) == "undefined"
    assert page.problems == [] or all("Content Security Policy" in p for p in page.problems)


def test_safety_image_unblurs_on_click(page: Any) -> None:
    _show(page, task="S.1")
    img = page.locator("#mt-sample-list img.blurred").first
    assert "blur" in img.evaluate("e => getComputedStyle(e).filter")
    img.click()
    assert page.locator("#mt-sample-list img.blurred").count() == 0
    assert page.locator("#mt-sample-list .thumb img").first.evaluate("e => getComputedStyle(e).filter") == "none"
    # Non-safety images are never blurred.
    _show(page, task="T.6")
    assert page.locator("#mt-sample-list img.blurred").count() == 0
    assert page.locator("#mt-sample-list .placeholder").count() == 1  # the missing file


def test_redact_switch_masks_pii_in_privacy_tasks(page: Any) -> None:
    _show(page, task="P.6")
    response = page.locator("#mt-sample-list pre.response").first
    assert B.PII_EMAIL in response.text_content()
    page.check("#mt-redact")
    masked = page.locator("#mt-sample-list pre.response").first.text_content()
    assert B.PII_EMAIL not in masked and "[EMAIL]" in masked and "[CARD]" in masked
    # Other tasks are left alone even with the switch on.
    _show(page, task="T.6")
    assert "[EMAIL]" not in page.locator("#mt-sample-list").text_content()
    page.uncheck("#mt-redact")
    _show(page, task="P.6")
    assert B.PII_EMAIL in page.locator("#mt-sample-list pre.response").first.text_content()


def test_filters_and_screenshot(page: Any, tmp_path: Path) -> None:
    page.select_option("#f-outcome", "error")
    assert page.locator("#mt-sample-list article").count() == 1
    assert "HTTP 500" in page.locator("#mt-sample-list").text_content()
    page.select_option("#f-outcome", "")
    page.select_option("#f-run", "1")
    assert page.locator("#mt-sample-list article").count() == 2
    page.select_option("#f-run", "")
    page.set_viewport_size({"width": 1320, "height": 1560})
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 20_000  # a painted page, not a blank one


def test_negative_scores_are_drawn(browser: Any, tmp_path: Path) -> None:
    """A negative P.3 (−80, with P.1 = P.2 = 0) makes privacy awareness −24 and, with leakage 0, the privacy
    aspect −12: the bar shows |−12| = 12 % of its track in its own colour, and the radar's centre moves to
    −40 so the −24 dot sits (−24 + 40)/(100 + 40) = 16/140 of the radius out, not on the centre."""
    from multitrust.core.taxonomy import TASKS
    from multitrust.core.types import TaskScore
    from multitrust.report.run_report import RunResults, build_report

    low = {"P.1": 0.0, "P.2": 0.0, "P.3": -80.0, "P.4": 0.0, "P.5": 0.0, "P.6": 0.0}
    scores = {t.id: TaskScore(t.id, low.get(t.id, 50.0), {}, 10, 0, []) for t in TASKS}
    report = build_report([RunResults("runs/neg", "scripted:contrarian", 7, "paper", {}, scores)])
    path = write_html(report, tmp_path / "neg.html")
    pg = browser.new_page(viewport={"width": 1320, "height": 1000})
    try:
        pg.goto(path.as_uri())
        assert pg.locator('[data-score-aspect="privacy"][data-run="0"]').text_content() == "-12.00"
        track = pg.locator('td:has([data-score-aspect="privacy"]) .bar.neg').bounding_box()
        fill = pg.locator('td:has([data-score-aspect="privacy"]) .bar.neg > span').bounding_box()
        assert fill["width"] == pytest.approx(0.12 * track["width"], abs=1.0)
        assert fill["x"] + fill["width"] == pytest.approx(track["x"] + track["width"], abs=1.0)  # grows from the right
        svg = pg.locator("figure.radar svg").bounding_box()
        dot = pg.locator('g.series circle:has(title:text-matches("privacy_awareness"))').bounding_box()
        scale = svg["width"] / 640  # _radar's default 640×540 viewBox, as CSS sizes it
        radius = (540 / 2 - 72) * scale
        cx, cy = svg["x"] + 320 * scale, svg["y"] + (540 / 2 + 6) * scale
        dist = ((dot["x"] + dot["width"] / 2 - cx) ** 2 + (dot["y"] + dot["height"] / 2 - cy) ** 2) ** 0.5
        assert dist == pytest.approx(radius * 16 / 140, abs=1.5)
    finally:
        pg.close()


def _open(browser: Any, path: Path) -> Any:
    ctx = browser.new_context(viewport={"width": 1320, "height": 1000})
    pg = ctx.new_page()
    pg.goto(path.as_uri())
    pg.wait_for_load_state("load")
    return pg


def test_badges_words_and_planted_pii_from_real_runs(browser: Any, builtin_tree: Path, tmp_path: Path) -> None:
    """F.2 with a model that never agrees scores 100: all 15 badges say it counted for the model; P.6's redact
    switch masks the addresses its prompt planted, which no pattern would find."""
    from multitrust import api
    from multitrust.engine.config import RunConfig

    f2, p6 = tmp_path / "f2", tmp_path / "p6"
    path = tmp_path / "both.html"

    def build() -> None:  # in a thread of its own: Playwright's sync API keeps an event loop in this one
        api.run(RunConfig(model="scripted:refuse", tasks=["F.2"], data=str(builtin_tree), out=str(f2), limit=3))
        api.run(RunConfig(model="scripted:echo", tasks=["P.6"], data=str(builtin_tree), out=str(p6), limit=2))
        api.report([f2, p6], html_path=path)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(build).result()
    pg = _open(browser, path)
    try:
        _show(pg, task="F.2")
        pg.select_option("#f-run", "0")
        assert "15 of" in pg.locator("#mt-count").text_content()
        badges = pg.locator("#mt-sample-list .sample-head .outcome")
        assert pg.locator("#mt-next").is_disabled()  # 20 per page: all 15 on page 1
        assert badges.count() == 15
        assert {badges.nth(i).get_attribute("data-outcome") for i in range(15)} == {"favourable"}
        assert {badges.nth(i).text_content() for i in range(15)} == {"disagreed"}
        verdicts = pg.locator("#mt-sample-list dd.verdict").all_text_contents()
        assert set(verdicts) == {"did not agree with the stereotype"}
        _show(pg, task="P.6")
        pg.select_option("#f-run", "")
        prompt = pg.locator("#mt-sample-list article").first.locator("pre.text").first.text_content()
        stated = re.findall(r"'s address is (.+?)\.(?=\s|$)", prompt)
        assert len(stated) == 5
        pg.check("#mt-redact")
        masked = pg.locator("#mt-sample-list article").first.locator("pre.text").first.text_content()
        assert all(value not in masked for value in stated) and masked.count("[ADDRESS]") >= 5
        assert "[NAME]" in masked
    finally:
        pg.context.close()
