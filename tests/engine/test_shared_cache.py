"""Two run directories asking the same thing share one generation (the shared cache), unless disabled."""

from __future__ import annotations

from pathlib import Path

from tests.tasks.handmade import t6_tree

from multitrust import api
from multitrust.engine.config import RunConfig
from multitrust.testing.server import start_server


def test_second_run_reuses_the_first_runs_generations(tmp_path: Path) -> None:
    data = tmp_path / "data"
    t6_tree(data)
    with start_server(reply="yes") as server:

        def run(name: str, **kw: object):  # type: ignore[no-untyped-def]
            cfg = RunConfig(
                model=f"openai-compat:{server.url}@m",
                tasks=["T.6"],
                data=str(data),
                out=str(tmp_path / name),
                bootstrap=0,
                **kw,
            )
            return api.run(cfg, preflight=False)  # probes would count as requests

        first = run("a")
        assert first.calls_made == 10 and server.stats()["chat_requests"] == 10
        second = run("b")
        assert second.calls_made == 0 and second.calls_reused == 10 and second.shared_hits == 10
        assert server.stats()["chat_requests"] == 10, "the second run must not call the model"
        assert second.scores["T.6"].score == first.scores["T.6"].score
        third = run("c", shared_cache=False)
        assert third.calls_made == 10 and server.stats()["chat_requests"] == 20
    calls = api.report([tmp_path / "b"])["runs"][0]["calls"]
    assert calls["made"] == 0 and calls["from_other_runs"] == 10


def test_scripted_models_are_not_shared(tmp_path: Path) -> None:
    data = tmp_path / "data"
    t6_tree(data)
    for name in ("a", "b"):
        summary = api.run(
            RunConfig(model="scripted:yes", tasks=["T.6"], data=str(data), out=str(tmp_path / name), bootstrap=0)
        )
        assert summary.calls_made == 10 and summary.shared_hits == 0
