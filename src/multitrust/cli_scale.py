"""``multitrust sweep`` and ``multitrust merge``: many models and machines, one merged result.

Registered on the main app by :mod:`multitrust.cli`; thin like the rest of the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from multitrust.cli_text import lit
from multitrust.core.errors import MultitrustError

console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {lit(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def sweep_cmd(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML: models, tasks, data, seeds, out, run settings.")],
    executor: Annotated[str, typer.Option(help="'local' (this process) or 'ray' (Ray tasks).")] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to join with --executor ray: 'auto', ray://HOST:10001 (default: a local one)."),
    ] = None,
) -> None:
    """Run every model (× seed) of a sweep on its tasks, one run directory each, and write one combined report.
    Re-running the same sweep resumes every shard."""
    from multitrust.engine.executors import executor_by_name
    from multitrust.engine.sweep import run_sweep

    try:
        report = run_sweep(sweep_file, executor=executor_by_name(executor, address=ray_address))
    except MultitrustError as exc:
        _fail(str(exc))
    table = Table(title=lit(f"sweep {sweep_file}"))
    for col, just in (("model", "left"), ("overall", "right"), ("tasks scored", "right"), ("calls failed", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for run in report["runs"]:
        overall = run["scorecard"].get("overall")
        scored = sum(1 for t in run["tasks"].values() if t.get("score") is not None)
        table.add_row(
            lit(run["model"]), "—" if overall is None else f"{overall:.2f}", str(scored), str(run["calls"]["errors"])
        )
    console.print(table)
    root = Path(report["runs"][0]["run_dir"]).parent if report["runs"] else sweep_file.parent
    console.print(f"{len(report['shards'])} shard(s) · combined report in {lit(str(root))}", highlight=False)


def merge_cmd(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories (shards) to merge.")],
    out: Annotated[Path, typer.Option(help="Merged run directory (created, or extended).")],
    keep: Annotated[
        Path | None, typer.Option(help="Merge runs whose model, seed, fidelity or data differ, keeping this run's.")
    ] = None,
    rescore: Annotated[bool, typer.Option(help="Score the merged run and write its report.")] = True,
) -> None:
    """Join run stores made anywhere (Ray, a Slurm array, other machines) into one run, by request hash."""
    from multitrust import api
    from multitrust.engine.merge import merge_runs

    try:
        result = merge_runs(run_dirs, out, keep=keep)
        if rescore:
            api.score(out)
            api.report([out], json_path=out / "report.json", html_path=out / "report.html")
    except MultitrustError as exc:
        _fail(str(exc))
    console.print(
        f"merged {len(result.sources)} run(s) into {lit(str(out))}: {result.samples} samples, "
        f"{result.generations} generations (+{result.generations_replaced} failures replaced by answers), "
        f"{result.judgements} verdicts; tasks {lit(', '.join(result.tasks)) or 'none'}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep_cmd)
    app.command("merge")(merge_cmd)
