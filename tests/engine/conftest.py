"""Fixtures shared by the engine tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from multitrust.core.taxonomy import TASK_BY_ID
from multitrust.scoring.judge import ANSWER_MATCH, LLMJudge, parse_yes_no
from multitrust.scoring.metrics import rate
from multitrust.tasks import registry
from multitrust.tasks.spec import Task, Variant, VariantMetrics, json_records


@pytest.fixture
def judged_text_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[list[dict[str, str]]], Path]:
    """T.5 replaced by a one-variant text task scored by an LLM judge; call it with the rows
    (``{"query", "truth"}``) of its one annotation file to get the data root."""

    def make(rows: list[dict[str, str]]) -> Path:
        source = json_records("qa.json", image=None, target=lambda r: r["truth"])
        judge = LLMJudge("consistency", "R:{pred} T:{label}", parse=parse_yes_no, fallback=ANSWER_MATCH, max_tokens=10)
        task = Task(
            info=TASK_BY_ID["T.5"],
            variants=(Variant("text", source, "{query}", judge, rate("accuracy"), max_tokens=50),),
            score=lambda m: 100 * VariantMetrics(m).get_metric("text", "accuracy"),
        )
        monkeypatch.setitem(registry.IMPLEMENTED, "T.5", task)
        root = tmp_path / "data"
        root.mkdir()
        (root / "qa.json").write_text(json.dumps(rows))
        return root

    return make
