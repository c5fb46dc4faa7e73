"""The ``multitrust`` command line: thin wrappers over :mod:`multitrust.api` that parse, call and print."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from multitrust import __version__
from multitrust.cli_data import register as register_data_commands
from multitrust.cli_data import require_named_task_data
from multitrust.cli_judges import ProfileOption, judges_app, print_profile_notes
from multitrust.cli_text import lit
from multitrust.core.errors import MultitrustError


def _no_type_on_flags() -> None:
    """typer's rich help prints a ``<bool>`` type beside on/off flags (``--quiet``, ``--help``), which take no
    value; show none, as typer's plain help does."""
    option = typer.core.TyperOption
    shown = option.display_type_rich
    if getattr(shown, "_flags_untyped", False):
        return

    def display_type_rich(self: typer.core.TyperOption, ctx: typer.Context) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    display_type_rich._flags_untyped = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich  # type: ignore[method-assign]


_no_type_on_flags()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Measure how trustworthy a multimodal LLM is: the 32 MultiTrust tasks.",
)
list_app = typer.Typer(no_args_is_help=True, help="List tasks or model backends.")
data_app = typer.Typer(no_args_is_help=True, help="Build or check data trees.")
app.add_typer(list_app, name="list")
app.add_typer(data_app, name="data")
register_data_commands(data_app)

console = Console()
err_console = Console(stderr=True)

#: ``multitrust run`` with no arguments: the quick suite — every task, built-in data, the built-in model,
#: one record per task (all its variants) and generations capped so it finishes in minutes on a laptop CPU.
QUICK_MODEL = "builtin:tiny"
QUICK_FALLBACK_MODEL = "scripted:random"
QUICK_LIMIT = 1
QUICK_MAX_TOKENS = 128


#: options that ``run`` and ``score`` share
TaskJudgeOption = Annotated[
    list[str] | None, typer.Option("--task-judge", metavar="TASK=SPEC", help="Per-task judge (repeatable).")
]
RefusalListOption = Annotated[
    str | None, typer.Option(help="Refusal keywords: 'paper' (v0.1.0), '2025' (HEAD) or 'fixed'.")
]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="More detail on stderr: preflight probes, retries and failed requests with their causes, judge calls.",
    ),
]


class _ConsoleLog(logging.Handler):
    """``--verbose``: the package's log records on stderr, one line each, printed literally (never as rich
    markup) and with every credential taken out (:func:`multitrust.core.redact.redact_text`)."""

    def emit(self, record: logging.LogRecord) -> None:
        from multitrust.core.redact import redact_text

        try:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            text = redact_text(text)
        except Exception:  # a record that cannot be formatted is dropped, never printed raw
            return
        colour = "yellow" if record.levelno >= logging.WARNING else "dim"
        err_console.print(f"[{colour}]{record.levelname.lower()}:[/] {lit(text)}", highlight=False, soft_wrap=True)


def _verbose(on: bool) -> None:
    """Show the package's INFO records on stderr (``--verbose``). Off, logging is left as Python sets it up:
    the detail is INFO (silent), and the few warnings a user must see (a data file's skipped rows) reach
    stderr through Python's last-resort handler as before."""
    logger = logging.getLogger("multitrust")
    for handler in [h for h in logger.handlers if isinstance(h, _ConsoleLog)]:
        logger.removeHandler(handler)
    logger.setLevel(logging.INFO if on else logging.NOTSET)
    logger.propagate = not on
    if on:
        logger.addHandler(_ConsoleLog())


def _fail(message: str, code: int = 2) -> None:
    """One line ``error: MESSAGE`` on stderr (``message`` is plain text, printed literally) and exit ``code``."""
    from multitrust.core.redact import redact_text

    err_console.print(f"[bold red]error:[/] {lit(redact_text(message))}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _print_version(value: bool) -> None:
    if value:
        console.print(f"multitrust {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Measure how trustworthy a multimodal LLM is: the 32 MultiTrust tasks."""
    from multitrust.core.redact import remember_env_secrets

    remember_env_secrets()  # keys in the environment are scrubbed from anything printed or stored


@list_app.command("tasks")
def list_tasks() -> None:
    """The 32 MultiTrust tasks: id, name, aspect, sub-aspect, and whether this version implements them."""
    from multitrust.core.taxonomy import TASKS
    from multitrust.tasks.registry import is_implemented

    table = Table(title="MultiTrust tasks")
    for col in ("id", "name", "aspect", "sub-aspect", "implemented"):
        table.add_column(col)
    for t in TASKS:
        table.add_row(t.id, t.name, t.aspect, t.subaspect, "yes" if is_implemented(t.id) else "no")
    console.print(table)


@list_app.command("models")
def list_models(
    published: Annotated[
        bool, typer.Option("--published", help="The published leaderboard's models: route and status of each.")
    ] = False,
) -> None:
    """Model spec kinds this installation understands, and whether each is usable on this machine."""
    from multitrust.models import registry  # noqa: F401  (registers the local kinds and their notes in KINDS)
    from multitrust.models.local_registry import available_backends
    from multitrust.models.spec import KINDS

    if published:
        from multitrust.cli_routes import print_published

        print_published(console)
        return

    table = Table(title="model backends")
    for col in ("kind", "usable here", "spec / notes", "why"):
        table.add_column(col, overflow="fold")  # fold long specs instead of cutting them
    for row in available_backends():
        kind = str(row["kind"])
        table.add_row(kind, "yes" if row["usable"] else "no", lit(KINDS.get(kind, "")), lit(str(row["reason"])))
    console.print(table)


@data_app.command("build")
def data_build(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the tree into.")],
    seed: Annotated[int, typer.Option(help="Seed of every random choice in the generated data.")] = 0,
    tasks: Annotated[str | None, typer.Option(help="Task ids / aspects to build (default: all with builders).")] = None,
) -> None:
    """Write the built-in synthetic data tree (official layout) deterministically from a seed."""
    from multitrust import api
    from multitrust.data.builtin import implemented_tasks
    from multitrust.tasks.registry import select_tasks

    try:
        chosen = None
        if tasks:
            wanted = select_tasks(tasks, implemented_only=False)
            chosen = [t for t in wanted if t in implemented_tasks()]
        manifest = api.build_data(out, seed=seed, tasks=chosen)
    except MultitrustError as exc:
        _fail(str(exc))
    from multitrust.core.taxonomy import in_task_order

    built = ", ".join(in_task_order(manifest["tasks"]))
    console.print(
        lit(f"built {len(manifest['files'])} files for {built} into {out} (seed {seed})"),
        highlight=False,
    )


@data_app.command("check")
def data_check(
    path: Annotated[Path, typer.Argument(help="A MultiTrust data tree (official layout).")],
    tasks: Annotated[str, typer.Option(help="Task ids / aspects to check (default: all implemented).")] = "all",
    release: Annotated[
        str, typer.Option(help="Hold the tree to the official release manifest: auto (fetched trees), always, never.")
    ] = "auto",
) -> None:
    """Report what is present, missing or malformed in a data tree, per task — one line per problem."""
    from multitrust.cli_data import release_layer
    from multitrust.data.tree import DataTree
    from multitrust.tasks.check import check_tree
    from multitrust.tasks.registry import select_tasks

    try:
        tree = DataTree(path)
        task_ids = select_tasks(tasks)
        layer = release_layer(tree.root, release)
    except MultitrustError as exc:
        _fail(str(exc))
    bad = 0
    for result in check_tree(tree, task_ids):
        problems = [*result.problems, *(layer.problems(result.task, result.problems) if layer else [])]
        if not problems:
            console.print(f"[green]ok[/]      {lit(result.task)}: {result.records} records, {result.images} images")
        else:
            bad += 1
            console.print(f"[red]problems[/] {lit(result.task)}: {len(problems)}")
            for line in problems:
                console.print(lit(f"  {result.task}: {line}"), highlight=False)
        for line in result.warnings:
            console.print(lit(f"  {result.task}: warning: {line}"), highlight=False, soft_wrap=True)
    if layer:
        console.print(layer.summary(len(task_ids), bad), highlight=False, markup=False)
    if bad:
        raise typer.Exit(1)


@app.command("run")
def run_cmd(
    model: Annotated[
        str | None,
        typer.Option(
            help=lit(
                "Model spec: openai:NAME, openai-compat:URL@NAME, hf:ID, vllm:ID, anthropic:NAME, scripted:MODE, "
                f"builtin:tiny. [default: {QUICK_MODEL} (the quick suite) when none of --model, --tasks, --limit "
                "is given; otherwise required]"
            )
        ),
    ] = None,
    tasks: Annotated[
        str | None, typer.Option(help=lit("Task ids (T.6,F.2), aspects (safety) or 'all'. [default: all]"))
    ] = None,
    data: Annotated[
        str | None, typer.Option(help=lit("Data tree directory, or 'builtin' (synthetic). [default: builtin]"))
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help=lit("Run directory. [default: runs/YYYYMMDD-HHMMSS, the start time]"))
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help=lit("Requests in flight. [default: the backend's]"))] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            help=lit(
                "At most N samples per task variant (seeded choice). "
                f"[default: no limit; {QUICK_LIMIT} in the quick suite]"
            )
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help=lit("Seed of every random choice, recorded with the run. [default: 0]"))
    ] = None,
    fidelity: Annotated[
        str | None,
        typer.Option(help=lit("'fixed' or 'paper' (the original's formulas and bugs). [default: fixed]")),
    ] = None,
    judge: Annotated[str | None, typer.Option(help="LLM judge spec for judge-scored tasks.")] = None,
    task_judge: TaskJudgeOption = None,
    judge_profile: ProfileOption = None,
    refusal_list: RefusalListOption = None,
    bootstrap: Annotated[
        int | None, typer.Option(help=lit("Bootstrap rounds for 95% intervals, 0 = off. [default: 200]"))
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option(
            help=lit(
                f"Cap on generated tokens per request. [default: each task's own; {QUICK_MAX_TOKENS} in the "
                "quick suite]"
            )
        ),
    ] = None,
    shared_cache: Annotated[
        bool,
        typer.Option("--shared-cache/--no-shared-cache", help="Reuse identical generations of other run directories."),
    ] = True,
    write_report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write report.json and report.html into the run directory.")
    ] = True,
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML/JSON run config; command-line options override it.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    no_preflight: Annotated[
        bool, typer.Option("--no-preflight", help="Skip the probe of the model and judge endpoints before the run.")
    ] = False,
    allow_text_only: Annotated[
        bool, typer.Option("--allow-text-only", help="Run only variants without images; the rest are marked not run.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print requests, tokens and estimated cost per task; send nothing.")
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Run tasks against a model; re-running the same command resumes where it stopped.

    Exit codes: 0 finished; 1 nothing could be scored; 2 bad input; 3 finished, but calls to the model or
    the judge failed so that tasks are not scored or left out of the aggregates; 130 interrupted (resumable).
    """
    from multitrust import api
    from multitrust.engine.config import RunConfig, load_config_file
    from multitrust.engine.progress import NullProgress, RichProgress
    from multitrust.models.spec import parse_model_spec
    from multitrust.tasks.registry import select_tasks

    _verbose(verbose)
    try:
        settings = load_config_file(config) if config else {}
        given = {
            "model": model,
            "tasks": tasks,
            "data": data,
            "out": out,
            "concurrency": concurrency,
            "limit": limit,
            "seed": seed,
            "fidelity": fidelity,
            "judge": judge,
            "judge_profile": judge_profile,
            "refusal_list": refusal_list,
            "bootstrap": bootstrap,
            "max_tokens": max_tokens,
            "shared_cache": None if shared_cache else False,
            "text_only": True if allow_text_only else None,
        }
        merged = {**settings, **{k: v for k, v in given.items() if v is not None}}
        if not ({"model", "tasks", "limit"} & set(merged)):
            merged.update(_quick_suite())
        if not merged.get("model"):
            _fail("--model is required with --tasks or --limit (run with none of the three for the quick suite)")
        selector = merged.get("tasks", "all")
        merged["tasks"] = select_tasks(selector if isinstance(selector, str) else ",".join(selector))
        require_named_task_data(merged.get("data"), selector if isinstance(selector, str) else ",".join(selector))
        merged["task_judges"] = {**merged.get("task_judges", {}), **_task_judges(task_judge)}
        for spec in [merged["model"], merged.get("judge"), *merged["task_judges"].values()]:
            if spec:
                parse_model_spec(spec)
        merged["out"] = str(merged.get("out") or Path("runs") / time.strftime("%Y%m%d-%H%M%S"))
        target = Path(merged["out"])
        blocker = next((p for p in (target, *target.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            _fail(f"--out {target}: {blocker} exists and is not a directory (a run directory is a folder)")
        cfg = RunConfig(**merged)
    except MultitrustError as exc:
        _fail(str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = f"{config}: " if config else ""
        _fail(f"{where}--{'.'.join(str(x) for x in first['loc']).replace('_', '-')}: {first['msg']}")
    if dry_run:
        from multitrust.cli_dryrun import print_dry_run

        try:
            print_dry_run(cfg, console)
        except MultitrustError as exc:
            _fail(str(exc))
        return
    print_profile_notes(cfg.judge_profile)
    progress = NullProgress() if quiet or not console.is_terminal else RichProgress(console)
    try:
        summary = api.run(cfg, progress=progress, preflight=not no_preflight)
    except KeyboardInterrupt:
        err_console.print(
            lit(f"interrupted; finished requests are saved. Run the same command again to resume ({cfg.out})."),
            highlight=False,
        )
        raise typer.Exit(130) from None
    except MultitrustError as exc:
        _fail(str(exc))
    except OSError as exc:  # e.g. a path component of --out is a file, or the disk is full
        _fail(f"{exc.filename or cfg.out}: {exc.strerror or exc}", code=1)
    data = _run_report(Path(cfg.out), write=write_report)
    code = _print_summary(summary, data)
    if write_report and data is not None:
        console.print(f"report: {Path(cfg.out) / 'report.html'} and report.json", highlight=False, markup=False)
    for task, variants in summary.not_run.items():
        console.print(f"{task}: not run (text only): {', '.join(variants)}", highlight=False, markup=False)
    for stop in summary.stopped:  # fail fast: one line per stopped endpoint, with its count
        err_console.print(
            f"[bold red]error:[/] {lit(str(stop['message']))}; {stop['count']} {stop['shape']} requests failed",
            highlight=False,
            soft_wrap=True,
        )
    if ((summary.task_errors or summary.no_data) and not summary.scores) or summary.stopped:
        raise typer.Exit(1)
    unscored = summary.scores and not any(s.score is not None for s in summary.scores.values())
    if not code and unscored and summary.calls_made + summary.calls_reused == 0:
        raise typer.Exit(1)  # every sample failed before a call (bad data): nothing could be scored
    if code:
        raise typer.Exit(code)


def _run_report(out_dir: Path, *, write: bool) -> dict | None:  # type: ignore[type-arg]
    """The run's report (what report.json holds), written into the run directory unless ``write`` is off;
    None when the run has nothing to report yet."""
    from multitrust import api

    try:
        paths = {"json_path": out_dir / "report.json", "html_path": out_dir / "report.html"} if write else {}
        data = api.report([out_dir], **paths)  # type: ignore[arg-type]
    except MultitrustError as exc:
        err_console.print(f"[yellow]warning:[/] report not written: {lit(str(exc))}", highlight=False)
        return None
    return data


def _quick_suite() -> dict[str, object]:
    """Settings of the no-argument quick suite; falls back to the scripted demo model (with a note) when the
    local extra that ``builtin:tiny`` needs is not installed."""
    from multitrust.models.local_registry import available_backends

    usable = {row["kind"]: row for row in available_backends()}
    model = QUICK_MODEL
    if not usable.get("builtin", {}).get("usable"):
        model = QUICK_FALLBACK_MODEL
        reason = usable.get("builtin", {}).get("reason", "not installed")
        err_console.print(
            f"[yellow]note:[/] builtin:tiny is not usable here ({lit(str(reason))}); "
            f"running the quick suite with {model} instead",
            highlight=False,
        )
    console.print(
        f"quick suite: every task on built-in data with {model}, {QUICK_LIMIT} record per task, "
        f"at most {QUICK_MAX_TOKENS} tokens per answer (see `multitrust run --help` for real runs)",
        highlight=False,
    )
    return {"model": model, "tasks": "all", "data": "builtin", "limit": QUICK_LIMIT, "max_tokens": QUICK_MAX_TOKENS}


def _task_judges(items: list[str] | None) -> dict[str, str]:
    """Parse ``--task-judge T.4=openai:gpt-4o`` options."""
    from multitrust.core.errors import SpecError
    from multitrust.tasks.registry import select_tasks

    out: dict[str, str] = {}
    for item in items or []:
        task, eq, spec = item.partition("=")
        if not eq or not spec:
            raise SpecError(f"--task-judge {item!r}: expected TASK=SPEC, e.g. T.4=openai:gpt-4o-mini")
        for tid in select_tasks(task, implemented_only=False):
            out[tid] = spec
    return out


def _print_summary(summary, data: dict | None) -> int:  # type: ignore[no-untyped-def,type-arg]
    """The end of ``run``: the same task states, scores and failure causes as the run's report; returns
    the exit code (3 when calls failed so that tasks went unscored)."""
    from multitrust.cli_summary import print_outcome

    code = 0
    if data is not None:
        code = print_outcome(console, data["runs"][0], title=f"{summary.model} — {summary.out}", judges=summary.judges)
    for tid, message in summary.task_errors.items():
        err_console.print(f"[bold red]error:[/] {lit(tid)}: {lit(message)}", highlight=False)
    for tid, path in summary.no_data.items():
        console.print(f"[yellow]no data[/] {lit(tid)}: {lit(path)} is not in the data tree; not run", highlight=False)
    console.print(
        lit(
            f"model calls: {summary.calls_made} made, {summary.calls_reused} reused from the store"
            f"{f' ({summary.shared_hits} from other runs)' if summary.shared_hits else ''}, "
            f"{summary.call_errors} failed · {summary.wall_s:.1f}s · files in {summary.out}"
        ),
        highlight=False,
        markup=False,
    )
    for rep in summary.replicas or []:
        latency = rep["mean_latency_s"]
        console.print(
            f"  replica {rep['replica']}: {rep['requests']} sent, {rep['answered']} answered, {rep['errors']} failed"
            + (f", mean latency {latency:.3f}s" if latency is not None else ""),
            highlight=False,
            markup=False,
        )
    return code


@app.command("score")
def score_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
    fidelity: Annotated[str | None, typer.Option(help="'fixed' or 'paper' (default: as the run was scored).")] = None,
    judge: Annotated[
        str | None,
        typer.Option(help="Swap the LLM judge (only judge calls are made); 'offline' returns to the offline judges."),
    ] = None,
    task_judge: TaskJudgeOption = None,
    judge_profile: ProfileOption = None,
    refusal_list: Annotated[
        str | None,
        typer.Option(help="Refusal keywords: 'paper', '2025' or 'fixed'; 'default' returns to the mode's own list."),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Judge requests in flight.")] = 16,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    compare_fidelity: Annotated[
        bool, typer.Option("--compare-fidelity", help="Score in both modes and show what the original's bugs change.")
    ] = False,
    no_preflight: Annotated[
        bool, typer.Option("--no-preflight", help="Skip the probe of the judges that have verdicts to compute.")
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Re-judge and re-score stored generations; sends nothing to the model under test."""
    from multitrust import api
    from multitrust.core.taxonomy import TASK_BY_ID

    _verbose(verbose)
    if fidelity is not None and fidelity not in ("fixed", "paper"):
        _fail(f"--fidelity must be 'fixed' or 'paper', not {fidelity!r}")
    if compare_fidelity:
        try:
            rows = api.compare_fidelity(run_dir, concurrency=concurrency)
        except MultitrustError as exc:
            _fail(str(exc))
        table = Table(title=lit(f"fidelity: fixed vs paper — {run_dir}"))
        for col, just in (
            ("task", "left"),
            ("name", "left"),
            ("fixed", "right"),
            ("paper", "right"),
            ("paper − fixed", "right"),
        ):
            table.add_column(col, justify=just)  # type: ignore[arg-type]
        for tid, pair in rows.items():
            fixed, paper = pair["fixed"], pair["paper"]
            delta = "—" if fixed is None or paper is None else f"{paper - fixed:+.2f}"
            table.add_row(tid, TASK_BY_ID[tid].name, _fmt(fixed), _fmt(paper), delta)
        console.print(table)
        return
    from multitrust.engine.progress import NullProgress, RichProgress

    progress = NullProgress() if quiet or not console.is_terminal else RichProgress(console)
    print_profile_notes(judge_profile)
    try:
        judges = _task_judges(task_judge) if task_judge else None
        stats = api.score(
            run_dir,
            fidelity=fidelity,  # type: ignore[arg-type]
            judge=judge,
            task_judges=judges,
            refusal_list=refusal_list,
            concurrency=concurrency,
            progress=progress,
            judge_profile=judge_profile,
            preflight=not no_preflight,
        )
    except KeyboardInterrupt:
        progress.close()
        err_console.print(
            f"interrupted; finished judgements are saved. Run the same command again to resume ({run_dir}).",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(130) from None
    except MultitrustError as exc:
        _fail(str(exc))
    _print_scoring(run_dir, stats)


def _print_scoring(run_dir: Path, stats) -> None:  # type: ignore[no-untyped-def]
    """The end of ``score``: which judge and fidelity scored, the task states and failure causes (from the
    rewritten report), judge work; exits 3 when judge calls left tasks unscored."""
    from multitrust.cli_summary import print_outcome

    judge = stats.judge or "offline judges (documented fallbacks)"
    per_task = ", ".join(f"{t}={j}" for t, j in stats.task_judges.items())
    console.print(
        f"scored with judge {judge}{f' (per task: {per_task})' if per_task else ''}, fidelity {stats.fidelity}, "
        f"refusal list {stats.refusal_list or 'default'}",
        highlight=False,
        markup=False,
    )
    code = 0
    data = _run_report(run_dir, write=True)
    if data is not None:
        code = print_outcome(console, data["runs"][0], title=f"re-scored {run_dir}", judges=stats.judges)
    console.print(
        f"judgements: {stats.judged} computed, {stats.reused} reused, {stats.judge_errors} failed; "
        f"{stats.judge_calls} judge calls, 0 calls to the model under test",
        highlight=False,
    )
    if data is not None:
        console.print(f"report: {run_dir / 'report.html'} and report.json rewritten", highlight=False, markup=False)
    if code:
        raise typer.Exit(code)


app.add_typer(judges_app, name="judges")


@app.command("report")
def report_cmd(
    run_dirs: Annotated[list[Path], typer.Argument(help="One or more run directories.")],
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the JSON report here.")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write task and aggregate scores as CSV.")] = None,
    samples_path: Annotated[Path | None, typer.Option("--samples", help="Write per-sample records as JSONL.")] = None,
    compare_published: Annotated[
        bool, typer.Option("--compare-published", help="Place complete runs among the published leaderboard.")
    ] = False,
    redact: Annotated[bool, typer.Option("--redact", help="Mask PII in the HTML's privacy-task samples.")] = False,
    max_samples: Annotated[int, typer.Option(help="Samples per run in the HTML sample browser.")] = 2000,
    verbose: VerboseOption = False,
) -> None:
    """Print task and aggregate scores of runs, and export them (JSON, HTML, CSV, per-sample JSONL)."""
    from multitrust import api
    from multitrust.core.taxonomy import SUBASPECTS, TASKS

    _verbose(verbose)
    try:
        data = api.report(
            run_dirs,
            json_path=json_path,
            html_path=html_path,
            csv_path=csv_path,
            samples_path=samples_path,
            compare_published=compare_published,
            redact=redact,
            max_samples=max_samples,
        )
    except MultitrustError as exc:
        _fail(str(exc))
    runs = data["runs"]
    table = Table(title="MultiTrust task scores (0–100, higher is better)")
    table.add_column("task")
    table.add_column("name")
    for r in runs:
        table.add_column(lit(r["model"]), justify="right")
    from multitrust.cli_summary import counts_text, state_label

    present = [t for t in TASKS if any(r["task_states"][t.id]["state"] != "not_requested" for r in runs)]
    for t in present:
        cells = []
        for r in runs:
            entry = r["tasks"].get(t.id)
            err = f" ({entry['n_errors']} err)" if entry and entry["n_errors"] else ""
            if entry and entry.get("unscored"):
                err += f" ({entry['unscored']} unscored)"
            cells.append(lit(state_label(r["task_states"][t.id]) + err))
        table.add_row(t.id, t.name, *cells)
    for sub in SUBASPECTS:
        table.add_row("", f"[bold]{sub.name}", *[_fmt(r["scorecard"]["subaspects"][sub.key]["score"]) for r in runs])
    table.add_row("", "[bold]Overall", *[_fmt(r["scorecard"]["overall"]) for r in runs])
    console.print(table)
    for r in runs:
        for tid, entry in r["tasks"].items():
            if entry.get("excluded"):
                console.print(f"{lit(r['model'])} {tid}: {lit(entry['excluded'])}", highlight=False)
            calib = (entry.get("provenance") or {}).get("calibration") or {}
            if calib:
                text = "; ".join(f"{role} {c}" for role, c in calib.items())
                console.print(f"{lit(r['model'])} {tid} judge calibration: {lit(text)}", highlight=False)
    for r in runs:
        card = r["scorecard"]
        if card["overall"] is None:
            part = card["partial"]
            partial = (
                f"partial {_fmt(part['overall'])} over {len(part['subaspects_included'])} complete sub-aspects"
                " (not comparable with the leaderboard)"
                if part["overall"] is not None
                else "no sub-aspect is complete yet"
            )
            console.print(
                lit(f"{r['model']}: overall not available (tasks: {counts_text(r['state_counts'])}); {partial}"),
                highlight=False,
            )
        c = r["calls"]
        console.print(
            lit(
                f"{r['model']}: seed {r['seed']}, fidelity {r['fidelity']}, model calls {c['made']} made, "
                f"{c['reused']} reused, {c['errors']} failed"
            ),
            highlight=False,
        )
        if r.get("image_handling"):
            handling = r["image_handling"]
            sent = " · ".join(f"{n} {how}" for how, n in handling["images"].items())
            side = f" (max_image_side={handling['max_image_side']})" if handling.get("max_image_side") else ""
            console.print(f"{r['model']}: images sent: {sent}{side}", highlight=False, markup=False)
    if compare_published:
        _print_placements(runs)
    if data.get("rank_swaps"):
        console.print(lit(f"rank stability ({data['rank_swaps_basis']}, bootstrap):"), highlight=False)
        for row in data["rank_swaps"]:
            console.print(
                lit(f"  {row['a']} vs {row['b']}: order swaps in {100 * row['fraction']:.1f}% of replicates"),
                highlight=False,
            )
    for path in (json_path, html_path, csv_path, samples_path):
        if path:
            console.print(lit(f"wrote {path}"), highlight=False)


def _print_placements(runs: list[dict]) -> None:
    from multitrust.report.leaderboard import CAVEAT, SOURCE

    for r in runs:
        p = r.get("published_placement")
        if p is None:
            console.print(lit(f"{r['model']}: not placed — the overall score needs all 32 tasks"), highlight=False)
            continue
        console.print(
            lit(
                f"{r['model']}: overall {p['overall']:.2f} would rank {p['rank']} of {p['total']} on the published "
                f"MultiTrust leaderboard"
            ),
            highlight=False,
        )
    console.print(f"[dim]{lit(CAVEAT)}. Source: {lit(SOURCE)}.", highlight=False)


def _register_extra_commands() -> None:
    from multitrust import cli_scale

    cli_scale.register(app)


_register_extra_commands()


def main() -> None:
    try:
        app()
    except MultitrustError as exc:  # anything that slipped past a command's own handler
        err_console.print(f"[bold red]error:[/] {lit(exc)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except OSError as exc:  # a file that cannot be read or written (a path through a file, a full disk, …)
        where = f"{exc.filename}: " if exc.filename else ""
        hint = (
            " (a file is where a directory is needed)" if isinstance(exc, FileExistsError | NotADirectoryError) else ""
        )
        err_console.print(f"[bold red]error:[/] {lit(f'{where}{exc.strerror or exc}{hint}')}", soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
