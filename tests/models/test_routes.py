"""The route table of published models: complete, consistent, every status backed by evidence that exists."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from multitrust.core.errors import SpecError
from multitrust.models.local_registry import _VLLM_OPTIONS, register_local_backends
from multitrust.models.routes import IMAGES_PER_PROMPT, Route, leaderboard_models, load_routes, route_for
from multitrust.models.spec import load_model, parse_model_spec

REPO = Path(__file__).resolve().parents[2]
ROUTES = load_routes()
HAS_TRANSFORMERS = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))


def test_every_leaderboard_model_has_exactly_one_route() -> None:
    board = leaderboard_models()
    assert len(board) == 44
    names = [r.model for r in ROUTES]
    assert sorted(names) == sorted(board), set(names) ^ set(board)
    assert len(names) == len(set(names))


def _test_exists(node_id: str) -> bool:
    """``path::function[param]``: the file exists, defines the function, and a parametrised architecture
    test has a tiny-model builder for the parameter."""
    match = re.fullmatch(r"([\w/.]+\.py)::(\w+)(?:\[(\w+)\])?", node_id)
    assert match, f"not a pytest node id: {node_id}"
    path, func, param = match.groups()
    file = REPO / path
    if not file.is_file():
        return False
    tree = ast.parse(file.read_text(encoding="utf-8"))
    if func not in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}:
        return False
    if param is not None:
        from tests.models.tiny_vlms import BUILDERS

        return param in BUILDERS
    return True


@pytest.mark.parametrize("route", [r for r in ROUTES if r.test], ids=lambda r: r.model)
def test_named_tests_exist(route: Route) -> None:
    assert route.test is not None and _test_exists(route.test), f"{route.model}: no such test {route.test}"


def test_tested_routes_are_backed_by_their_architectures_test() -> None:
    tested = [r for r in ROUTES if r.status == "tested"]
    assert len(tested) >= 10
    for route in tested:
        assert route.test is not None
        assert route.test.startswith("tests/models/test_architectures.py::test_architecture_end_to_end[")
        # the tiny model of the test has the route's architecture (the builder keys are model_type names)
        assert route.test.endswith(f"[{route.architecture}]"), route.model
        assert route.kind in ("hf", "vllm")


def test_statuses_say_what_was_checked() -> None:
    for route in ROUTES:
        if route.status != "tested":
            assert route.checked and len(route.checked.split()) >= 5, route.model
        if route.status == "remote_code":
            assert route.trust_remote_code and route.options.get("trust_remote_code") == "true"


def test_every_route_spec_parses_and_its_options_are_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each route (and alternative) is a spec this installation parses; hf: and API specs are built (no
    model is loaded, nothing is called), which checks their options; vllm: options are checked by name."""
    register_local_backends()
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DASHSCOPE_API_KEY", "HUNYUAN_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.setenv(var, "not-a-real-key")
    monkeypatch.setenv("ZHIPUAI_API_KEY", "not-a-real-key")
    for route in ROUTES:
        for spec in (route.spec, *route.alternatives):
            parsed = parse_model_spec(spec)
            if parsed.kind == "vllm":
                assert set(parsed.options) <= set(_VLLM_OPTIONS), spec
            elif (parsed.kind == "hf" and not HAS_TRANSFORMERS) or (
                parsed.kind == "anthropic" and importlib.util.find_spec("anthropic") is None
            ):
                continue
            else:
                model = load_model(spec)
                assert model.spec.startswith(f"{parsed.kind}:"), spec


@pytest.mark.skipif(not HAS_TRANSFORMERS, reason="needs torch + transformers (the local extra)")
def test_published_kind_applies_the_routes_conventions() -> None:
    register_local_backends()
    model = load_model("published:llava-1.5-7b-hf?device=cpu&batch_size=2")
    assert model.spec == "hf:llava-hf/llava-1.5-7b-hf?max_images=1"
    assert model.describe()["input_conventions"] == {"max_images": "1"}
    qwen = load_model("published:QWEN2-VL-CHAT")
    assert qwen.spec == "hf:Qwen/Qwen2-VL-7B-Instruct?max_image_side=400"
    # an option given with the name overrides the route's
    assert load_model("published:qwen2-vl-chat?max_image_side=800").spec.endswith("?max_image_side=800")


def test_published_kind_errors_name_the_problem() -> None:
    register_local_backends()
    with pytest.raises(SpecError, match=r"no published model 'llava-1.5-7b' \(did you mean [^)]*llava-1.5-7b-hf"):
        load_model("published:llava-1.5-7b")
    with pytest.raises(SpecError, match="published model cambrian-13b has no working route here: Cambrian ships"):
        load_model("published:cambrian-13b")
    assert route_for("GPT-4o").model == "gpt-4o"


def test_bad_entries_are_rejected() -> None:
    base = {"model": "m", "hub_id": "org/m", "route": "hf:org/m", "architecture": "llava"}
    with pytest.raises(ValueError, match="needs `test`"):
        Route.model_validate({**base, "status": "tested"})
    with pytest.raises(ValueError, match="needs `checked`"):
        Route.model_validate({**base, "status": "not_supported"})
    with pytest.raises(ValueError, match="kind must be one of"):
        Route.model_validate({**base, "route": "torch:org/m", "status": "untested", "checked": "a b c d e"})
    with pytest.raises(ValueError, match="trust_remote_code must match"):
        Route.model_validate({**base, "status": "remote_code", "checked": "x", "options": {"trust_remote_code": True}})
    ok = Route.model_validate({**base, "status": "untested", "checked": "x", "options": {"max_images": 1}})
    assert ok.spec == "hf:org/m?max_images=1"


def test_images_per_prompt_covers_every_task(builtin_tree: Path) -> None:
    """vLLM's limit_mm_per_prompt default comes from IMAGES_PER_PROMPT: no benchmark prompt may carry more."""
    from multitrust.data.tree import DataTree
    from multitrust.tasks.registry import IMPLEMENTED
    from multitrust.tasks.spec import build_samples

    tree = DataTree(builtin_tree)
    most = 0
    for task in IMPLEMENTED.values():
        for variant in task.variants:
            for build in build_samples(task, variant, tree, seed=0, limit=3):
                most = max(most, sum(len(m.images) for m in build.sample.messages))
    assert most == IMAGES_PER_PROMPT


def test_cli_lists_all_published_models() -> None:
    from multitrust.cli import app

    result = CliRunner().invoke(app, ["list", "models", "--published"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    for name in leaderboard_models():
        assert name in result.output
    assert "hf:llava-hf/llava-1.5-7b-hf?max_images=1" in result.output
    summary = result.output.strip().splitlines()[-1]
    counts = {status: sum(r.status == status for r in ROUTES) for status in {r.status for r in ROUTES}}
    assert sum(counts.values()) == 44
    for status, n in counts.items():
        assert f"{n} {status}" in summary
