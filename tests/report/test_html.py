"""The HTML report: content from the report dict, escaping of hostile model output, thumbnails, redaction.

The builders at the top (``make_report``, ``make_samples``) are reused by ``test_html_browser.py``, so
the browser test and these string-level tests look at the same page.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from multitrust.core.taxonomy import ASPECTS, SUBASPECTS, TASKS
from multitrust.core.types import TaskScore, VariantResult
from multitrust.report.html import PII_PATTERNS, embed_json, redact_pii, render_html, thumbnail_data_url, write_html
from multitrust.report.leaderboard import place
from multitrust.report.run_report import RunResults, build_report
from multitrust.report.scorecard import bootstrap_interval

HOSTILE_RESPONSE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
HOSTILE_PROMPT = "Describe the image.</script><script>window.__pwned=3</script>"
PII_EMAIL = "jane.doe@example.com"


B_REPLICATES = 200


def _task_score(tid: str, score: float, n: int, errors: int, api_judge: bool, rng: np.random.Generator) -> TaskScore:
    """A TaskScore as the scorer leaves it: variants, provenance, flips, bootstrap replicates and interval."""
    variants = {
        "image": VariantResult("image", {"accuracy": score / 100}, {}, n // 2, n // 2 - errors, errors),
        "text": VariantResult("text", {"accuracy": min(1.0, score / 100 + 0.05)}, {}, n - n // 2, n - n // 2, 0),
    }
    notes = ["judge substituted: rule-based refusal keywords"] if tid == "S.3" else []
    ts = TaskScore(tid, score, variants, n, errors, notes)
    ts.provenance = _provenance(tid, api_judge, n - errors)
    if tid == "T.6":
        ts.flips = {"image vs text": {"a_only": 7, "b_only": 3, "both": 31, "neither": 9}}
    # Replicate b of every task comes from the same round, as run_report expects.
    ts.replicates = [float(x) for x in np.clip(score + rng.normal(0, 2.2, B_REPLICATES), 0, 100)]
    ts.ci = bootstrap_interval(ts.replicates)
    return ts


def _provenance(tid: str, api_judge: bool, n: int) -> dict[str, Any]:
    """The scorer's provenance shape. Rule tasks use the paper's rules; judged tasks use GPT-4 in the first
    run and an offline fallback in the others."""
    if tid in ("T.2", "T.6", "R.3", "R.6", "F.2", "F.3", "F.6", "P.1", "P.2", "P.3"):
        desc = {"evaluator": "rule:match", "backend": "rule", "paper": True, "paper_backend": "rule"}
    elif api_judge:
        desc = {
            "evaluator": "judge:yes-no",
            "backend": "judge:openai:gpt-4-1106-preview",
            "paper": True,
            "paper_backend": "judge:gpt-4-1106-preview",
        }
    else:
        desc = {
            "evaluator": "judge:yes-no",
            "backend": "fallback:keyword",
            "paper": False,
            "paper_backend": "judge:gpt-4-1106-preview",
        }
    observed = {desc["backend"]: n}
    if tid == "S.2" and api_judge:  # a judge outage: a few verdicts came from the offline fallback
        observed = {desc["backend"]: n - 4, "fallback:keyword": 4}
    return {"evaluators": [desc], "paper": desc["paper"], "observed_backends": observed, "fidelity": "fixed"}


def make_report(
    models: tuple[str, ...] = ("demo-model-a", "demo-model-b", "demo-model-c"), *, seed: int = 3
) -> dict[str, Any]:
    """A three-run report through the real ``build_report``: two complete runs and one missing S.2, S.3 and
    P.5, with intervals, provenance, flips and published placements.

    Scores are seeded so the page looks the same every time (the README screenshot depends on it).
    """
    rng = np.random.default_rng(seed)
    results = []
    for i, model in enumerate(models):
        base = 72 - 9 * i
        scores = {}
        for t in TASKS:
            if i == 2 and t.id in ("S.2", "S.3", "P.5"):
                continue
            value = round(float(np.clip(base + rng.normal(0, 14), 3, 97)), 4)
            n, errors = int(rng.integers(40, 400)), int(rng.integers(0, 3))
            scores[t.id] = _task_score(t.id, value, n, errors, i == 0, rng)
        results.append(RunResults(f"runs/{model}", model, 0, "fixed", {"root": "data"}, scores, 1200, 30, 2))
    report = build_report(results)
    for run in report["runs"]:
        card = run["scorecard"]
        if card["overall"] is not None:
            run["published_placement"] = place(card["overall"], run["model"]).to_dict()
    report["rank_swaps"] = [{"a": models[0], "b": models[1], "fraction": 0.012}]
    return report


def _png(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> str:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(im)
    for k in range(0, size[0], 40):
        draw.ellipse((k, size[1] // 3, k + 60, size[1] // 3 + 60), fill=tuple(min(255, c + 60) for c in color))
    im.save(path)
    return str(path)


def make_samples(tmp: Path, report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-sample dicts as the API exports them, including hostile text, PII and a missing image."""
    img_a = _png(tmp / "kitchen.png", (70, 110, 160))
    img_s = _png(tmp / "unsafe.png", (160, 60, 50))
    run0, run1 = report["runs"][0], report["runs"][1]

    def sample(run: dict[str, Any], task: str, variant: str, key: str, **kw: Any) -> dict[str, Any]:
        base = {
            "run": run["run_dir"],
            "model": run["model"],
            "task": task,
            "variant": variant,
            "sample_id": f"{task}/{variant}/{key}",
            "subset": None,
            "prompt": "Is there a cup on the table? Answer yes or no.",
            "images": [img_a],
            "target": "yes",
            "response": "Yes, there is a white cup on the table.",
            "generation_error": None,
            "verdict": True,
            "verdict_raw": "yes",
            "backend": "rule",
            "judge_error": None,
            "outcome": "correct",
        }
        base.update(kw)
        return base

    return [
        sample(run0, "T.6", "image", "0001"),
        sample(
            run0,
            "T.6",
            "image",
            "0002",
            response=HOSTILE_RESPONSE,
            prompt=HOSTILE_PROMPT,
            outcome="incorrect",
            verdict=False,
            verdict_raw="no </script> & <b>bold</b>",
        ),
        sample(
            run0,
            "T.6",
            "text",
            "0001",
            images=[str(tmp / "does-not-exist.png")],
            outcome="refused",
            response="I'm sorry, I can't help with that.",
            verdict=None,
            verdict_raw=None,
        ),
        sample(
            run0,
            "S.1",
            "image",
            "0007",
            images=[img_s],
            prompt="Is anything in this image dangerous?",
            response="The image shows a risky scene.",
            target=None,
            outcome="correct",
            backend="gpt-4-1106-preview",
        ),
        sample(
            run0,
            "P.6",
            "text",
            "0003",
            images=[],
            prompt="What is Jane's email? Call 555-123-4567 if needed.",
            response=f"Her email is {PII_EMAIL}, card 4111 1111 1111 1111, key sk_live_51Habcdef0123456789XYZ.",
            target=None,
            verdict=1,
            verdict_raw="leaked",
            backend="rule:pii-match",
            outcome="incorrect",
        ),
        sample(
            run1,
            "T.6",
            "image",
            "0001",
            response=None,
            generation_error="HTTP 500 after 3 attempts",
            verdict=None,
            verdict_raw=None,
            backend=None,
            judge_error=None,
            outcome="error",
        ),
        sample(
            run1,
            "F.2",
            "image",
            "0004",
            images=[],
            prompt="Do you agree: <stereotype>?",
            response="No.",
            verdict=0.0,
            verdict_raw="disagree",
            outcome="scored",
            subset="Gender",
        ),
    ]


@pytest.fixture()
def report() -> dict[str, Any]:
    return make_report()


@pytest.fixture()
def samples(tmp_path: Path, report: dict[str, Any]) -> list[dict[str, Any]]:
    return make_samples(tmp_path, report)


def test_hostile_text_is_escaped(report: dict[str, Any], samples: list[dict[str, Any]]) -> None:
    page = render_html(report, samples)
    assert "<script>window.__pwned" not in page
    assert "<img src=x" not in page
    assert "<b>bold</b>" not in page
    # Outside the (inert, \u003c-escaped) JSON there is no trace of the payload at all.
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)
    assert "onerror" not in markup and "__pwned" not in markup
    # Exactly our three script elements: two JSON blobs and the page script; nothing else opens or closes one.
    assert page.count("<script") == 3
    assert page.lower().count("</script") == 3
    # The embedded data still round-trips to the very same strings.
    blobs = re.findall(r'<script type="application/json" id="mt-samples">(.*?)</script>', page, flags=re.S)
    data = json.loads(blobs[0])
    assert HOSTILE_RESPONSE in [s["response"] for s in data["samples"]]
    assert HOSTILE_PROMPT in [s["prompt"] for s in data["samples"]]


def test_hostile_report_fields_are_escaped(samples: list[dict[str, Any]]) -> None:
    report = make_report(models=("<img src=x onerror=alert(1)>", "qwen", "llava"))
    report["runs"][0]["tasks"]["T.1"]["notes"] = ["<script>window.__pwned=4</script>"]
    page = render_html(report, samples, title="</title><script>window.__pwned=5</script>")
    assert "<img src=x" not in page
    assert "<script>window.__pwned" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_embed_json_cannot_close_its_element() -> None:
    text = embed_json({"a": "</script><!-- & \u2028", "b": [float("nan")]})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(str(text)) == {"a": "</script><!-- & \u2028", "b": [None]}


def test_csp_blocks_network_and_pins_the_script(report: dict[str, Any]) -> None:
    page = render_html(report)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    assert "default-src 'none'" in csp.group(1)
    assert "img-src data:" in csp.group(1)
    assert "'unsafe-inline'" not in csp.group(1).split("script-src")[1].split(";")[0]
    # No external resources at all.
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)


def test_scores_match_report(report: dict[str, Any]) -> None:
    page = render_html(report)
    for i, run in enumerate(report["runs"]):
        for tid, t in run["tasks"].items():
            m = re.search(
                rf'data-score-task="{re.escape(tid)}" data-run="{i}" data-value="([^"]*)"[^>]*>([^<]*)<', page
            )
            assert m is not None, tid
            assert float(m.group(1)) == t["score"]
            assert m.group(2) == f"{t['score']:.2f}"
        for a in ASPECTS:
            m = re.search(rf'data-score-aspect="{a}" data-run="{i}" data-value="([^"]*)"', page)
            assert m is not None
            expected = run["scorecard"]["aspects"][a]["score"]
            assert (m.group(1) == "") if expected is None else (float(m.group(1)) == expected)
    # The third run lacks S.2, S.3, P.5: shown as not run, and its overall as incomplete.
    assert 'data-missing-task="S.2" data-run="2"' in page
    assert 'data-score-overall="2" data-run="2" data-value="">incomplete' in page


def test_sections_render_optional_fields(report: dict[str, Any]) -> None:
    page = render_html(report)
    assert 'data-flip-task="T.6"' in page
    assert 'data-provenance-task="S.1"' in page and "substitute" in page
    assert 'colspan="3" class="same"' in page  # rule-based tasks: one merged cell for all runs
    assert "fallback:keyword" in page and "paper used" in page
    assert "verdicts by" in page.split('data-provenance-task="S.2"')[1].split("</tr>")[0]
    assert 'data-placement="0"' in page and "Published leaderboard" in page
    assert f"95% bootstrap interval, B = {B_REPLICATES}" in page
    # Aggregate intervals come from run_report's scorecard_ci block.
    lo, hi = report["runs"][0]["scorecard_ci"]["aspects"]["safety"]
    safety = report["runs"][0]["scorecard"]["aspects"]["safety"]["score"]
    attrs = f'data-score-aspect="safety" data-run="0" data-value="{safety!r}" data-ci-lo="{lo!r}" data-ci-hi="{hi!r}"'
    assert attrs in page
    assert "Rank stability" in page
    assert "judge substituted: rule-based refusal keywords" in page
    # The radar: one series per run; the incomplete run has no filled polygon and marks its gaps.
    assert page.count('class="series"') == 3
    series2 = page.split('data-radar-run="2"')[1].split("</g>\n")[0]
    assert 'class="fill"' not in series2
    assert "missing: T, L" in page


def test_hand_made_shapes_list_provenance_and_entry_ci() -> None:
    """A hand-made report may carry ``ci`` on each aggregate entry and provenance as a plain list."""
    scores = {"F.2": TaskScore("F.2", 80.0, {}, 25, 0, [])}
    report = build_report([RunResults("runs/h", "hand", 0, "fixed", {}, scores)])
    run = report["runs"][0]
    run.pop("scorecard_ci", None)
    run["tasks"]["F.2"]["ci"] = [70.0, 90.0]
    run["tasks"]["F.2"]["provenance"] = [{"evaluator": "rule:agree", "backend": "local", "paper": True}]
    run["scorecard"]["aspects"]["fairness"]["ci"] = [1.5, 2.5]
    run["scorecard"]["overall"] = 50.0
    run["scorecard"]["complete"] = True
    run["scorecard"]["ci"] = [48.0, 52.0]
    page = render_html(report)
    assert 'data-score-task="F.2" data-run="0" data-value="80.0" data-ci-lo="70.0" data-ci-hi="90.0"' in page
    assert 'data-score-aspect="fairness" data-run="0" data-value="" data-ci-lo="1.5" data-ci-hi="2.5"' in page
    assert 'data-score-overall="0" data-run="0" data-value="50.0" data-ci-lo="48.0" data-ci-hi="52.0"' in page
    assert "rule:agree" in page and "95% bootstrap interval" in page


def test_minimal_report_without_optional_fields() -> None:
    scores = {"F.2": TaskScore("F.2", 100.0, {}, 25, 0, [])}
    report = build_report([RunResults("runs/c", "scripted:refuse", 7, "fixed", {}, scores)])
    page = render_html(report)
    assert 'data-score-task="F.2" data-run="0" data-value="100.0"' in page
    assert "Sample browser" not in page and "Judges and backends" not in page
    assert "31 of 32 tasks missing" in page


def test_thumbnails_and_placeholders(tmp_path: Path, report: dict[str, Any], samples: list[dict[str, Any]]) -> None:
    page = render_html(report, samples)
    data = json.loads(re.findall(r'id="mt-samples">(.*?)</script>', page, flags=re.S)[0])
    thumbs = data["thumbs"]
    assert sum(t is None for t in thumbs) == 1  # the missing file
    ok = [t for t in thumbs if t]
    assert ok and all(t.startswith("data:image/jpeg;base64,") for t in ok)

    import base64
    import io

    from PIL import Image

    big = thumbnail_data_url(samples[0]["images"][0])
    assert big is not None
    with Image.open(io.BytesIO(base64.b64decode(big.split(",", 1)[1]))) as im:
        assert max(im.size) == 160
    assert thumbnail_data_url(tmp_path / "nope.png") is None
    (tmp_path / "junk.png").write_bytes(b"not an image")
    assert thumbnail_data_url(tmp_path / "junk.png") is None


def test_sample_cap_keeps_every_task(report: dict[str, Any]) -> None:
    samples = [
        {
            "run": "runs/demo-model-a",
            "task": tid,
            "variant": "v",
            "sample_id": f"{tid}/v/{k}",
            "images": [],
            "outcome": "correct",
        }
        for tid in ("T.1", "T.2", "S.1")
        for k in range(50)
    ]
    page = render_html(report, samples, max_samples_per_run=10)
    data = json.loads(re.findall(r'id="mt-samples">(.*?)</script>', page, flags=re.S)[0])
    assert len(data["samples"]) == 10
    assert {s["task"] for s in data["samples"]} == {"T.1", "T.2", "S.1"}
    assert "showing 10 of 150" in page


def test_redact_pii_patterns() -> None:
    text = (
        "mail jane.doe@example.com or +1 (555) 123-4567 / 555-123-4567; card 4111 1111 1111 1111; "
        "ssn 123-45-6789; key sk_live_51Habcdef0123456789XYZ; year 2024, date 2024-01-15, ok."
    )
    out = redact_pii(text)
    for secret in ("jane.doe@example.com", "123-4567", "4111", "123-45-6789", "sk_live_51Habcdef0123456789XYZ"):
        assert secret not in out
    for label in ("[EMAIL]", "[PHONE]", "[CARD]", "[SSN]", "[SECRET]"):
        assert label in out
    assert "year 2024, date 2024-01-15, ok." in out  # ordinary numbers survive
    assert [p[0] for p in PII_PATTERNS] == ["EMAIL", "CARD", "SSN", "PHONE", "SECRET"]


def test_server_side_redaction_only_touches_privacy_tasks(
    report: dict[str, Any], samples: list[dict[str, Any]]
) -> None:
    page = render_html(report, samples, redact=True)
    assert PII_EMAIL not in page
    data = json.loads(re.findall(r'id="mt-samples">(.*?)</script>', page, flags=re.S)[0])
    p6 = next(s for s in data["samples"] if s["task"] == "P.6")
    assert "[EMAIL]" in p6["response"] and "[CARD]" in p6["response"] and "[SECRET]" in p6["response"]
    assert "[PHONE]" in p6["prompt"]
    t6 = next(s for s in data["samples"] if s["task"] == "T.6")
    assert t6["response"] == samples[0]["response"]
    assert 'id="mt-redact" type="checkbox" checked disabled' in page
    # Without redact=True the PII is in the data (masked on display by the switch only).
    assert PII_EMAIL in render_html(report, samples)


def test_write_html_and_long_text_is_clipped(tmp_path: Path, report: dict[str, Any]) -> None:
    sample = {
        "run": "runs/demo-model-a",
        "task": "T.1",
        "variant": "v",
        "sample_id": "x",
        "images": [],
        "prompt": "p",
        "response": "a" * 10_000,
        "outcome": "correct",
    }
    out = write_html(report, tmp_path / "sub" / "r.html", [sample], max_text_chars=100, title="A & B")
    page = out.read_text(encoding="utf-8")
    assert "<title>A &amp; B</title>" in page
    assert "9,900 more characters not shown" in page
    assert htmllib.unescape("A &amp; B") == "A & B"


def test_subaspect_table_lists_all_ten(report: dict[str, Any]) -> None:
    page = render_html(report)
    for s in SUBASPECTS:
        assert f'data-score-subaspect="{s.key}" data-run="0"' in page


def test_negative_p3_is_drawn_in_bars_and_radar() -> None:
    from multitrust.report.html import _radar

    # Every task 50, P.1 = P.2 = 0, P.3 = −80: privacy awareness = 0·0.4 + 0·0.3 + (−80)·0.3 = −24, a
    # negative sub-aspect the radar must reach below its old 0 centre.
    scores = {t.id: TaskScore(t.id, 50.0, {}, 10, 0, []) for t in TASKS}
    scores["P.1"] = TaskScore("P.1", 0.0, {}, 10, 0, [])
    scores["P.2"] = TaskScore("P.2", 0.0, {}, 10, 0, [])
    scores["P.3"] = TaskScore("P.3", -80.0, {}, 10, 0, [])
    # privacy leakage (P.4–P.6) 0 → the privacy aspect = (−24 + 0) / 2 = −12, drawn as a bar
    for tid in ("P.4", "P.5", "P.6"):
        scores[tid] = TaskScore(tid, 0.0, {}, 10, 0, [])
    report = build_report([RunResults("runs/neg", "scripted:contrarian", 7, "paper", {}, scores)])
    page = render_html(report)
    assert 'data-score-task="P.3" data-run="0" data-value="-80.0"' in page
    assert 'data-value="-24.0"' in page  # the sub-aspect, shown as it is
    # a negative aspect gets a bar of |score| with its own class, not a clamped empty bar
    assert 'data-score-aspect="privacy" data-run="0" data-value="-12.0"' in page
    assert '<span class="bar neg" aria-hidden="true"><span style="width: 12.0%' in page
    assert page.count('class="bar neg"') == 2  # the aspect list and the aspect table
    # the radar's centre drops to −40 (the multiple of 20 below −24); the 0 ring is marked
    views = [{"label": "m", "color": "#000", "index": 0, "subaspects": {}}]
    views[0]["subaspects"] = {
        s.key: {"present": True, "value": repr(-24.0 if s.key == "privacy_awareness" else 50.0), "text": ""}
        for s in SUBASPECTS
    }
    radar = _radar(views)
    assert radar["floor"] == -40.0
    assert [r["level"] for r in radar["rings"]] == [-20, 0, 20, 40, 60, 80, 100]
    assert [r["zero"] for r in radar["rings"]] == [False, True, False, False, False, False, False]
    assert 'class="zero"' in page
    # −24 sits at (−24 − (−40)) / (100 − (−40)) = 16/140 of the radius from the centre, not at the centre
    k = [s.key for s in SUBASPECTS].index("privacy_awareness")
    dot = radar["series"][0]["dots"][k]
    radius = radar["height"] / 2 - 72
    dist = ((dot["x"] - radar["cx"]) ** 2 + (dot["y"] - radar["cy"]) ** 2) ** 0.5
    assert dist == pytest.approx(radius * 16 / 140, abs=0.02)
