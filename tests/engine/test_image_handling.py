"""A run records how the images it sent were handled, and the report shows it in the run details."""

from __future__ import annotations

import html
import io
from pathlib import Path

from PIL import Image
from tests.tasks.handmade import t6_tree

from multitrust import api
from multitrust.engine.config import RunConfig
from multitrust.engine.store import RunStore
from multitrust.models.images import ORIGINAL, downscaled
from multitrust.report.html import render_html
from multitrust.testing.server import start_server


def test_the_run_records_and_the_report_shows_the_image_handling(tmp_path: Path) -> None:
    data = tmp_path / "data"
    t6_tree(data)  # ten 16 x 16 PNGs
    big = data / "truthfulness" / "misleading_images" / "contrast_1.png"
    Image.new("RGB", (40, 20), (1, 2, 3)).save(big)  # one image over the limit
    out = tmp_path / "run"
    with start_server(reply="yes", record_images=True) as server:
        cfg = RunConfig(
            model=f"openai-compat:{server.url}@m?max_image_side=16",
            tasks=["T.6"],
            data=str(data),
            out=str(out),
            bootstrap=0,
            shared_cache=False,
        )
        assert api.run(cfg).calls_made == 10
        probe, *sent = server.received_images()  # the preflight's probe image comes first
        assert Image.open(io.BytesIO(probe[1])).size == (16, 16)
        assert sorted(Image.open(io.BytesIO(b)).size for _, b in sent) == [(16, 8)] + [(16, 16)] * 9
        with RunStore.open_existing(out) as store:
            recorded = store.get_meta("image_handling")
        assert recorded["max_image_side"] == 16
        assert {how: len(d) for how, d in recorded["images"].items()} == {ORIGINAL: 9, downscaled(16, "PNG"): 1}
        api.run(cfg)  # a resume sends nothing new and must not lose or double the record
    report = api.report([out])
    entry = report["runs"][0]
    assert entry["image_handling"] == {"max_image_side": 16, "images": {ORIGINAL: 9, downscaled(16, "PNG"): 1}}
    assert entry["model"].endswith("?max_image_side=16")
    page = html.unescape(render_html(report))
    assert "images sent" in page
    assert f"9 images: {ORIGINAL}" in page and f"1 image: {downscaled(16, 'PNG')}" in page


def test_the_terminal_report_names_the_image_handling(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from multitrust.cli import app

    data = tmp_path / "data"
    t6_tree(data)
    out = tmp_path / "run"
    with start_server(reply="yes") as server:
        cfg = RunConfig(
            model=f"openai-compat:{server.url}@m?max_image_side=8", tasks=["T.6"], data=str(data), out=str(out)
        )
        api.run(cfg)
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert f"images sent: 10 {downscaled(8, 'PNG')} (max_image_side=8)" in " ".join(result.output.split())
