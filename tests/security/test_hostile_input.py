"""The hostile-input suite: broken data and hostile model output, end to end through the CLI.

Two runs, each through ``multitrust run``, ``score`` and ``report`` (typer's CliRunner, in this process, so
the audit hook on ``open`` sees every file the toolkit touches):

* **broken data** — one T.6 query file whose records hit every way a data tree can be wrong (a missing,
  truncated, corrupt or 20,000 × 20,000 image, wrong JSON types, ``../../etc/passwd`` and ``/etc/passwd``
  as image names, a symlink out of the root, a file name carrying terminal escapes and rich markup) and
  an F.2 CSV with bytes that are not UTF-8. Each bad record is one line naming its file, field and sample,
  counted as an error and visible in every report; the good records are still scored; nothing outside the
  data root is ever opened; no traceback.
* **hostile model output** — the loopback OpenAI server answers T.6's questions with HTML/JS, rich markup,
  ANSI/OSC escapes and other control characters, a 1 MB reply, invalid UTF-8 bytes, a lone surrogate,
  a CSV formula, and an HTTP 400 whose message carries escapes and markup. Every reply is stored exactly as
  decoded (the replacement policy of :mod:`multitrust.core.text` for what cannot be stored), and is inert
  in every format: terminal, JSON, JSONL, CSV, and HTML in a real browser (nothing runs, no dialog).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from multitrust import cli as cli_module
from multitrust.testing.server import start_server
from tests.data.test_hostile_files import bomb_png
from tests.security.audit import opened_files, opened_under
from tests.tasks.handmade import f2_tree, t6_tree

pytestmark = pytest.mark.timeout(180)

QUERY = "truthfulness/query_misleading/query_d_confusion.json"
IMAGES = "truthfulness/misleading_images"
CSV_FILE = "fairness/stereo_statement.csv"
#: an image name that is an OSC 8 hyperlink, a screen clear and rich markup at once
ESCAPED_NAME = "\x1b]8;;https:evil.example\x07\x1b[2J[bold red]x[/].png"
#: bytes that may never reach a terminal from data: ESC, BEL, CSI as a C1 control
RAW_CONTROLS = ("\x1b", "\x07", "\x9b")


@dataclass
class Invocation:
    """One CLI command: its exit code, what it printed, and every file it opened."""

    code: int
    out: str
    err: str
    opened: list[str] = field(default_factory=list)
    exception: BaseException | None = None


def invoke(*args: str) -> Invocation:
    with opened_files() as seen:
        result = CliRunner().invoke(cli_module.app, list(args), env={"COLUMNS": "400"}, terminal_width=400)
    return Invocation(result.exit_code, result.stdout, result.stderr, list(seen), result.exception)


def assert_clean_console(step: Invocation) -> None:
    """No traceback, no unhandled exception, no raw control byte from data in anything printed."""
    text = step.out + step.err
    assert step.exception is None or isinstance(step.exception, SystemExit), repr(step.exception)
    assert "Traceback" not in text
    for ch in RAW_CONTROLS:
        assert ch not in text, f"raw {ch!r} reached the terminal"


@pytest.fixture(scope="module")
def isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The conftest's cache isolation, for module-scoped runs (function fixtures come too late for them)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MULTITRUST_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "mt-cache-hostile"))
        mp.delenv("OPENAI_API_KEY", raising=False)
        yield


# ------------------------------------------------------------------------------------------ broken data


def broken_tree(base: Path) -> tuple[Path, Path]:
    """T.6 + F.2 in the official layout, every record of T.6 but 0009 and 0013 broken its own way."""
    root, outside = base / "data", base / "outside"
    t6_tree(root)
    f2_tree(root)
    outside.mkdir()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(outside / "linked.png")
    rows: list[Any] = json.loads((root / QUERY).read_text())
    images = root / IMAGES
    (images / rows[0]["image"]).unlink()  # 0000: missing
    whole = (images / rows[1]["image"]).read_bytes()
    (images / rows[1]["image"]).write_bytes(whole[: len(whole) // 2])  # 0001: truncated in its pixel data
    (images / rows[2]["image"]).write_bytes(b"GIF89a" + bytes(range(256)) * 4)  # 0002: corrupt
    rows[3]["query"] = ["not", "a", "string"]  # 0003: wrong JSON type of the prompt field
    bomb_png(images / rows[4]["image"], side=20000)  # 0004: 400 M pixels claimed in a few bytes
    rows[5]["image"] = "../../../../../../../../etc/passwd"  # 0005: out of the root
    (images / rows[6]["image"]).unlink()  # 0006: a symlink out of the root
    (images / rows[6]["image"]).symlink_to(outside / "linked.png")
    rows[7]["truth"] = 7  # 0007: wrong JSON type of the answer
    rows[8]["image"] = ESCAPED_NAME  # 0008: a missing file whose name is terminal escapes and markup
    rows.append("just a string")  # 0010: not a record
    rows.append({"image": 5, "query": "Question 11?", "truth": "Yes", "kind": "mirror"})  # 0011: wrong type
    rows.append({"image": "/etc/passwd", "query": "Question 12?", "truth": "Yes", "kind": "mirror"})  # 0012
    rows.append({"image": "mirror_13.png", "query": "Question 13?", "truth": "No", "kind": "mirror"})  # 0013
    (images / "mirror_13.png").write_bytes((images / "mirror_7.png").read_bytes())
    (root / QUERY).write_text(json.dumps(rows), encoding="utf-8")
    raw = (root / CSV_FILE).read_bytes().split(b"\n")
    raw[2] = raw[2].replace(b"lazy", b"l\xe4zy")  # Latin-1, not UTF-8, on line 3
    (root / CSV_FILE).write_bytes(b"\n".join(raw))
    return root, outside


#: per broken T.6 record: what its one error line must name (besides the sample id), in order
BROKEN = {
    "0000": [f"{IMAGES}/semantic_0.png", "missing image"],
    "0001": [f"{IMAGES}/contrast_1.png", "corrupt image"],
    "0002": [f"{IMAGES}/contrast_2.png", "corrupt image"],
    "0003": [f"{QUERY} [0003]", "field 'query'", "must be a string, got list"],
    "0004": [f"{IMAGES}/painting_4.png", "image too large (decompression bomb"],
    "0005": [f"{QUERY} [0005]", "field 'image'", "../etc/passwd", "leaves the data root"],
    "0006": [f"{QUERY} [0006]", "field 'image'", f"{IMAGES}/mirror_6.png", "leaves the data root"],
    "0007": [f"{QUERY} [0007]", "truth must be Yes or No, got 7"],
    "0008": [f"{IMAGES}/{ESCAPED_NAME}", "missing image"],
    "0010": [f"{QUERY} [0010]", "not a JSON object"],
    "0011": [f"{QUERY} [0011]", "field 'image'", "got int 5"],
    "0012": [f"{QUERY} [0012]", "field 'image'", "'/etc/passwd'", "leaves the data root"],
}
GOOD = ("0009", "0013")


@dataclass
class Steps:
    """The data root, what lies outside it, the run directory, the exports and each command's result."""

    root: Path
    outside: Path | None  # where files the data tree points to lie (never to be opened)
    out: Path
    exports: Path
    steps: dict[str, Invocation]

    def opened(self) -> list[str]:
        return [p for step in self.steps.values() for p in step.opened]


def run_score_report(out: Path, exports: Path, *run_args: str) -> dict[str, Invocation]:
    """``multitrust run`` (``run_args``), then ``score`` and ``report`` with every export."""
    exports.mkdir(parents=True, exist_ok=True)
    steps = {"run": invoke("run", *run_args, "--out", str(out), "--bootstrap", "0", "--no-shared-cache")}
    steps["score"] = invoke("score", str(out))
    steps["report"] = invoke(
        "report",
        str(out),
        *("--json", str(exports / "r.json"), "--csv", str(exports / "r.csv")),
        *("--samples", str(exports / "s.jsonl"), "--html", str(exports / "r.html")),
    )
    return steps


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory, isolated_env: None) -> Steps:
    base = tmp_path_factory.mktemp("broken")
    root, outside = broken_tree(base)
    out, exports = base / "run", base / "exports"
    steps = run_score_report(out, exports, "--model", "scripted:yes", "--tasks", "T.6,F.2", "--data", str(root))
    return Steps(root, outside, out, exports, steps)


def _store_rows(out: Path, task: str) -> dict[str, tuple[str | None, str | None, str | None]]:
    """record key → (sample build error, generation text, generation error), read from the SQLite file."""
    from multitrust.engine.store import RunStore

    with RunStore.open_existing(out) as store:
        samples = list(store.samples(task))
        gens = store.generations(s.request_hash for s in samples if s.request_hash)
    rows = {}
    for s in samples:
        gen = gens.get(s.request_hash) if s.request_hash else None
        rows[s.sample.id.rsplit("/", 1)[1]] = (s.error, gen.text if gen else None, gen.error if gen else None)
    return rows


def test_broken_data_opens_nothing_outside_the_root(broken: Steps) -> None:
    opened = broken.opened()
    assert opened, "the audit hook saw nothing: the suite would prove nothing"
    assert any(Path(os.path.realpath(p)).is_relative_to(broken.root.resolve()) for p in opened)
    assert broken.outside is not None and opened_under(opened, broken.outside) == []
    assert [p for p in opened if os.path.realpath(p) in ("/etc/passwd", os.path.realpath("/etc/passwd"))] == []


def test_each_broken_record_is_one_counted_line_and_the_rest_is_scored(broken: Steps) -> None:
    rows = _store_rows(broken.out, "T.6")
    assert sorted(rows) == sorted([*BROKEN, *GOOD])
    for key, parts in BROKEN.items():
        error, text, _ = rows[key]
        assert error is not None and text is None, key  # errored, never sent to the model
        assert error.startswith(f"T.6/confusion/{key}: ") and "\n" not in error, error
        at = 0
        for part in parts:  # named in this order
            found = error.find(part, at)
            assert found >= 0, (key, part, error)
            at = found + len(part)
    for key in GOOD:
        assert rows[key][0] is None and rows[key][1] is not None  # still asked and answered

    report = json.loads((broken.exports / "r.json").read_text(encoding="utf-8"))
    run = report["runs"][0]
    t6 = run["tasks"]["T.6"]
    assert (t6["n_samples"], t6["n_errors"]) == (len(BROKEN) + len(GOOD), len(BROKEN))
    # scripted:yes answers Yes: 0009 (dislocation, Yes) right, 0013 (mirror, No) wrong → macro (100 + 0) / 2
    assert t6["score"] == pytest.approx(50.0)
    assert run["task_states"]["T.6"]["state"] == "excluded"  # 12 of 14 failed: counted, visible, not aggregated
    examples = {c["example"].rsplit("/", 1)[1] for c in run["failure_causes"] if c["kind"] == "build"}
    assert examples == set(BROKEN)

    offset = (broken.root / CSV_FILE).read_bytes().index(b"\xe4")
    f2_line = f"{CSV_FILE} [line 3]: not UTF-8 text (byte 0xe4 at offset {offset})"
    assert run["task_states"]["F.2"]["reason"] == f2_line
    run_step = broken.steps["run"]
    assert f"error: F.2: {f2_line}\n" in run_step.err
    for key in BROKEN:  # each cause is printed, with its sample
        assert f"(e.g. T.6/confusion/{key})" in run_step.out


def test_broken_data_reaches_the_terminal_inert(broken: Steps) -> None:
    for name, step in broken.steps.items():
        assert_clean_console(step)
        assert step.code in (0, 3), (name, step.code, step.err)
    shown = "\\x1b]8;;https:evil.example\\x07\\x1b[2J[bold red]x[/].png: missing image"
    assert shown in broken.steps["run"].out  # escapes as text, markup as itself
    assert shown in broken.steps["score"].out
    check = invoke("data", "check", str(broken.root), "--tasks", "T.6,F.2")
    assert_clean_console(check)
    assert check.code == 1
    assert shown in check.out
    assert broken.outside is not None and opened_under(check.opened, broken.outside) == []
    problems = [line for line in check.out.splitlines() if line.startswith("  T.6: ")]
    assert len(problems) == len(BROKEN)


def test_broken_data_exports_every_sample(broken: Steps) -> None:
    lines = (broken.exports / "s.jsonl").read_text(encoding="utf-8").splitlines()
    t6 = {d["sample_id"].rsplit("/", 1)[1]: d for d in map(json.loads, lines) if d["task"] == "T.6"}
    assert sorted(t6) == sorted([*BROKEN, *GOOD])
    assert {k for k, d in t6.items() if d["outcome"] == "error"} == set(BROKEN)
    assert t6["0008"]["generation_error"].startswith(f"T.6/confusion/0008: {IMAGES}/{ESCAPED_NAME}")


# ------------------------------------------------------------------------------------ hostile model output

HTML_JS = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"></textarea></pre>'
    '<a href="javascript:window.__pwned=3">click</a><svg onload="window.__pwned=4"></svg>'
    "<script>alert(1)</script>"
)
MARKUP = "[bold red]red[/bold red] [link=https://evil.example/]click[/link] [/] \\[x]"
CONTROLS = (
    "ansi \x1b[31mred\x1b[0m \x1b]8;;https://evil.example/\x07link\x1b]8;;\x07 \x1b[2J bell\x07 nul\x00 "
    "del\x7f csi\x9b2J bidi\u202erlo\u202c ls\u2028ps\u2029 cr\rlf\n tab\t end"
)
BIG = "<script>window.__pwned=5</script>" + "<b>x</b>" * 125_000 + "<script>window.__pwned=6</script>"
#: U+DCxx = the raw byte xx on the wire: é in Latin-1, two bytes never valid, a cut-off € (E2 82)
RAW_BYTES = "caf\udce9 \udcff\udcfe \udce2\udc82 end"
LONE = "lone \ud800 surrogate \udfff"
FORMULA = "=cmd|' /C calc'!A0"
ERROR_MESSAGE = "bad \x1b[2J\x1b]8;;https://e.example/\x07[bold]x[/] err"
#: record key → the server's reply to that T.6 question (t6_tree writes "Question {i} about ...")
REPLIES = {
    "0000": HTML_JS,
    "0001": MARKUP,
    "0002": CONTROLS,
    "0003": BIG,
    "0004": RAW_BYTES,
    "0005": LONE,
    "0006": FORMULA,
}
#: what the store must hold: the reply as decoded, U+FFFD per invalid byte sequence and per lone surrogate
#: (one for E2 82, the maximal prefix of a valid sequence, as WHATWG and Python's "replace" count it)
STORED = {
    **REPLIES,
    "0004": "caf\ufffd \ufffd\ufffd \ufffd end",
    "0005": "lone \ufffd surrogate \ufffd",
}
#: a run directory named like a spreadsheet formula (relative, so the CSV cell starts with "=")
FORMULA_DIR = "=cmd|' -C calc'!A0"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, isolated_env: None) -> Steps:
    base = tmp_path_factory.mktemp("hostile")
    root = base / "data"
    t6_tree(root)
    rules = base / "rules.jsonl"
    lines = [{"match": f"Question {int(k)} ", "reply": v} for k, v in REPLIES.items()]
    lines.append({"match": "Question 7 ", "reply": ERROR_MESSAGE, "status": 400})
    rules.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp, start_server(reply="yes", reply_file=str(rules)) as server:
        mp.chdir(base)
        model = f"openai-compat:{server.url}@m?max_retries=1"
        # --max-tokens: the server cuts replies at max_tokens words; the 1 MB reply must arrive whole
        steps = run_score_report(
            Path(FORMULA_DIR), base / "exports", "--model", model, "--tasks", "T.6", "--data", str(root),
            "--max-tokens", "1000000",
        )  # fmt: skip
    return Steps(root, None, base / FORMULA_DIR, base / "exports", steps)


def test_hostile_output_is_stored_as_decoded(hostile: Steps) -> None:
    rows = _store_rows(hostile.out, "T.6")
    for key, text in STORED.items():
        assert rows[key][1] == text, key
        assert rows[key][2] is None
    assert len(rows["0003"][1] or "") == len(BIG) > 1_000_000
    assert rows["0007"][1] is None
    error = rows["0007"][2] or ""
    assert error.startswith("m @ http://127.0.0.1:") and error.endswith(f": HTTP 400: {ERROR_MESSAGE} (not retryable)")
    for key in ("0008", "0009"):
        assert rows[key][1] == "Yes. This is a canned reply from the multitrust test server."


def test_hostile_output_is_inert_in_the_terminal(hostile: Steps) -> None:
    for name, step in hostile.steps.items():
        assert_clean_console(step)
        assert step.code == 0, (name, step.code, step.out, step.err)  # 1 failed call of 10: T.6 still scored
    shown = "HTTP 400: bad \\x1b[2J\\x1b]8;;https://e.example/\\x07[bold]x[/] err (not retryable)"
    assert shown in hostile.steps["run"].out
    assert shown in hostile.steps["score"].out


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"not standard JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_hostile_output_round_trips_through_json_and_jsonl(hostile: Steps) -> None:
    stored = _store_rows(hostile.out, "T.6")
    for path in (hostile.exports / "r.json", hostile.out / "report.json"):
        raw = path.read_bytes()
        assert b"\x1b" not in raw and b"\x07" not in raw  # JSON escapes C0 controls
        report = _strict_json(raw.decode("utf-8"))
        (cause,) = report["runs"][0]["failure_causes"]
        assert cause["cause"] == stored["0007"][2]  # the stored error, character for character
    raw = (hostile.exports / "s.jsonl").read_bytes()
    assert b"\x1b" not in raw
    samples = {}
    for line in raw.decode("utf-8").split("\n")[:-1]:  # only "\n" ends a record: U+2028 inside one is data
        d = _strict_json(line)
        samples[d["sample_id"].rsplit("/", 1)[1]] = d
    assert len(samples) == 10
    for key, text in STORED.items():
        assert samples[key]["response"] == text, key
    assert samples["0007"]["response"] is None and samples["0007"]["generation_error"] == stored["0007"][2]
    assert samples["0007"]["outcome"] == "error"


def test_csv_cells_never_start_a_formula(hostile: Steps) -> None:
    with (hostile.exports / "r.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["run_dir"] for r in rows} == {"'" + FORMULA_DIR}  # shown as text, not run
    for row in rows:
        for column, cell in row.items():
            if cell[:1] in ("=", "+", "@", "\t", "\r"):
                raise AssertionError(f"{column}: {cell!r} would run as a formula")
            if cell.startswith("-"):
                float(cell)  # only numbers may start with a minus


CHROMIUM = Path("/usr/bin/chromium")


def _sync_playwright() -> Any:
    """Playwright's sync API, or a skip with the reason (a failure where CI asks for the browser)."""
    required = os.environ.get("MT_REQUIRE_BROWSER") == "1"
    if not CHROMIUM.exists():
        if required:
            raise AssertionError(f"{CHROMIUM} not found but MT_REQUIRE_BROWSER=1 (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")
    if required:
        import playwright.sync_api as sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    return sync_api.sync_playwright


#: what the sample browser shows of the 1 MB reply: its first 4,000 characters and how many are left out
BIG_SHOWN = BIG[:4000] + f"… [{len(BIG) - 4000:,} more characters not shown]"


@contextmanager
def opened_page(html: Path) -> Iterator[tuple[Any, list[str]]]:
    """``html`` in headless Chromium, with T.6 chosen in the sample browser; yields the page and the events
    that must never happen (a dialog, a script error, a request for anything but the file itself)."""
    sync_playwright = _sync_playwright()
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            page = browser.new_page()
            events: list[str] = []
            page.on("dialog", lambda d: (events.append(f"dialog {d.type}: {d.message}"), d.dismiss()))
            page.on("pageerror", lambda exc: events.append(f"page error: {exc}"))
            page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else events.append(r.url))
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("typeof window.__pwned") == "undefined"
            page.select_option("#f-task", "T.6")
            page.wait_for_timeout(300)  # time for any onerror/onload handler to fire
            yield page, events
        finally:
            browser.close()


def shown_cards(page: Any) -> dict[str, tuple[str | None, str | None]]:
    """record key → (response text, generation error text) of each sample card, as the page shows them."""
    cards = page.eval_on_selector_all(
        "#mt-sample-list article",
        "els => els.map(e => [e.querySelector('.sid').textContent,"
        " (e.querySelector('pre.response') || {}).textContent,"
        " (e.querySelector('pre.gen-error') || {}).textContent])",
    )
    return {sid.rsplit("/", 1)[1]: (response, error) for sid, response, error in cards}


def test_hostile_output_runs_nothing_in_a_browser(hostile: Steps) -> None:
    """The real report of the hostile run in headless Chromium: every reply is shown as text, nothing in it
    runs (``window.__pwned`` stays undefined, no dialog opens, nothing is fetched), before and after the
    sample browser renders the replies."""
    with opened_page(hostile.exports / "r.html") as (page, events):
        shown = shown_cards(page)
        assert len(shown) == 10
        for key, text in STORED.items():
            expected = BIG_SHOWN if key == "0003" else text
            assert shown[key][0] == expected, key  # as text, character for character
        assert shown["0007"][1] == _store_rows(hostile.out, "T.6")["0007"][2]
        assert page.evaluate("typeof window.__pwned") == "undefined"
        for selector in ("#mt-sample-list script", "#mt-sample-list img[src=x]", "#mt-sample-list svg",
                         "a[href^='javascript:']", "textarea"):  # fmt: skip
            assert page.locator(selector).count() == 0, selector
        assert events == []


def test_broken_data_is_visible_in_the_browser(broken: Steps) -> None:
    """Each broken record is a card with its one error line, shown as text (the escaped file name too)."""
    stored = _store_rows(broken.out, "T.6")
    with opened_page(broken.exports / "r.html") as (page, events):
        shown = shown_cards(page)
        assert sorted(shown) == sorted([*BROKEN, *GOOD])
        for key in BROKEN:
            assert shown[key] == (None, stored[key][0]), key
        assert {k for k in GOOD if shown[k][0]} == set(GOOD)
        assert events == []
