"""``multitrust judges``: judging roles, profiles and calibration (registered in :mod:`multitrust.cli`)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from multitrust.cli_text import lit
from multitrust.core.errors import MultitrustError

console = Console()
err_console = Console(stderr=True)

judges_app = typer.Typer(
    help="Judging roles, judge profiles and their calibration.", invoke_without_command=True, no_args_is_help=False
)

ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--judge-profile", help="Judge profile: paper, offline, open, or a YAML file mapping roles to judges."
    ),
]


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(2)


def print_profile_notes(profile: str | None) -> None:
    """Before a run or re-score with a profile: one line per judge that is gone and what stands in."""
    if not profile:
        return
    from multitrust.scoring.profiles import load_profile, resolve

    try:
        notes = resolve(load_profile(profile)).notes
    except MultitrustError as exc:
        _fail(str(exc))
    for note in notes:
        err_console.print(f"[yellow]judge profile {escape(profile)}:[/] {escape(note)}", highlight=False)


def _walk(evaluator: Any) -> list[Any]:
    from multitrust.scoring.compose import AllOf

    if isinstance(evaluator, AllOf):
        return [e for part in evaluator.parts.values() for e in _walk(part)]
    return [evaluator]


def role_evaluators() -> dict[str, list[tuple[str, Any]]]:
    """Role → [(task id, evaluator)] over the implemented tasks, in taxonomy order."""
    from multitrust.core.taxonomy import TASKS
    from multitrust.tasks.registry import get_task, is_implemented

    out: dict[str, list[tuple[str, Any]]] = {}
    for info in TASKS:
        if not is_implemented(info.id):
            continue
        for variant in get_task(info.id).variants:
            for ev in _walk(variant.evaluator):
                if ev.role is not None and not any(t == info.id and e.id == ev.id for t, e in out.get(ev.role, [])):
                    out.setdefault(ev.role, []).append((info.id, ev))
    return out


#: the task whose evaluator calibrates each role (the role's most common declaration)
CALIBRATION_TASK = {
    "consistency": "T.5",
    "refusal": "S.4",
    "harm": "S.4",
    "stereotype": "F.1",
    "sensor-rater": "R.2",
    "toxicity": "S.2",
    "action": "P.4",
}


def _action_follow(task: str) -> Any:
    """The task's action classifier asking for the follow label alone (P.4's leakage classifier): its 0 is
    "does not follow" (classes 0-4, F.4's refusal set), and offline it is the refusal keywords — whereas
    the reject-label classifiers are a constant 0 offline (the keywords OR-ed beside them decide)."""
    from multitrust.scoring.classifiers.action import ActionClassifier
    from multitrust.tasks.registry import get_task

    for variant in get_task(task).variants:
        for ev in _walk(variant.evaluator):
            if isinstance(ev, ActionClassifier) and ev.labels == ("LABEL_5",):
                return ev
    raise KeyError(f"{task} declares no follow-label action classifier")


def _toxicity_chains(task: str) -> Any:
    """The task's toxicity chains (Perspective, Moderation) run side by side: the role's verdict is their
    mean, as S.2/S.3 average both scores (the refusal rule beside them is a role of its own)."""
    from multitrust.scoring.classifiers.toxicity import ToxicityEvaluator
    from multitrust.scoring.compose import AllOf
    from multitrust.tasks.registry import get_task

    for variant in get_task(task).variants:
        ev = variant.evaluator
        if isinstance(ev, AllOf):
            chains = {name: part for name, part in ev.parts.items() if isinstance(part, ToxicityEvaluator)}
            if chains:
                return AllOf(chains, id="toxicity.chains")
    raise KeyError(f"{task} declares no toxicity chains")


def calibration_evaluator(role: str) -> tuple[str, Any]:
    if role == "action":
        return CALIBRATION_TASK[role], _action_follow(CALIBRATION_TASK[role])
    if role == "toxicity":
        return CALIBRATION_TASK[role], _toxicity_chains(CALIBRATION_TASK[role])
    found = role_evaluators().get(role) or []
    preferred = CALIBRATION_TASK.get(role)
    for task, ev in found:
        if task == preferred:
            return task, ev
    if not found:
        raise KeyError(f"no task uses the role {role!r}")
    return found[0]


@judges_app.callback()
def judges_cmd(
    ctx: typer.Context,
    judge: Annotated[str | None, typer.Option(help="Show what this judge spec would change.")] = None,
    judge_profile: ProfileOption = None,
    fidelity: Annotated[str, typer.Option(help="'fixed' or 'paper'.")] = "fixed",
) -> None:
    """The judging roles and who fills them, then which backend judges each task here."""
    if ctx.invoked_subcommand is not None:
        return
    from multitrust.engine.scorer import load_judging
    from multitrust.scoring.calibration import judge_label, load_stored, lookup
    from multitrust.scoring.roles import ROLES

    try:
        judging = load_judging(judge, {}, profile=judge_profile, refusal_list=None, seed=0)
    except (MultitrustError, ValueError) as exc:
        _fail(str(exc))
    ectx = judging.context(fidelity)
    users = role_evaluators()
    stored = load_stored()
    roles = Table(title=f"judging roles ({escape(judge_profile or 'no profile')})")
    for col in ("role", "tasks", "judge here", "paper's", "offline fallback", "calibration"):
        roles.add_column(col, overflow="fold")  # backend names are never cut
    for role in ROLES:
        tasks = sorted({t for t, _ in users.get(role.name, [])})
        here = judge_label(role.name, ectx, tasks[0]) if tasks else "—"
        calib = lookup(role.name, here, fidelity, stored) if tasks else "—"
        roles.add_row(role.name, ", ".join(tasks), escape(here), escape(role.paper), escape(role.fallback), calib)
    console.print(roles)
    for note in judging.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    _print_task_table(ectx)


def _print_task_table(ectx: Any) -> None:
    from multitrust.core.taxonomy import TASKS
    from multitrust.tasks.registry import get_task, is_implemented

    table = Table(title="evaluators per task (backend that would be used in this environment)")
    for col in ("task", "evaluator", "backend here", "paper's", "matches paper"):
        table.add_column(col, overflow="fold")
    for info in TASKS:
        if not is_implemented(info.id):
            table.add_row(info.id, "[dim]not implemented", "", "", "")
            continue
        seen: list[dict] = []
        for variant in get_task(info.id).variants:
            d = variant.evaluator.describe(ectx, info.id)
            if d not in seen:
                seen.append(d)
        for i, d in enumerate(seen):
            match = "[green]yes" if d["paper"] else "[yellow]no (fallback or other backend)"
            table.add_row(
                info.id if i == 0 else "", d["evaluator"], escape(d["backend"]), escape(d["paper_backend"]), match
            )
    console.print(table)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _ci(c: Any, key: str) -> str:
    iv = c.intervals.get(key)
    return "" if not iv else f" [{iv[0]:.2f}, {iv[1]:.2f}]"


@judges_app.command("calibrate")
def calibrate_cmd(
    judge_profile: ProfileOption = "offline",
    role: Annotated[list[str] | None, typer.Option("--role", help="Only this role (repeatable).")] = None,
    judge: Annotated[str | None, typer.Option(help="Judge spec for every LLM role the profile leaves open.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    rounds: Annotated[int, typer.Option(help="Bootstrap rounds.")] = 1000,
    save_figures: Annotated[
        bool, typer.Option("--save/--no-save", help="Store the figures for reports (user cache).")
    ] = True,
) -> None:
    """Run each role's judge over the labelled set shipped with the package and print its agreement."""
    from multitrust.engine.scorer import load_judging
    from multitrust.scoring import calibration

    available = calibration.roles_with_sets()
    wanted = role or available
    unknown = [r for r in wanted if r not in available]
    if unknown:
        _fail(f"no calibration set for role {unknown[0]!r} (sets: {', '.join(available)})")
    try:
        judging = load_judging(judge, {}, profile=judge_profile, refusal_list=None, seed=seed)
    except (MultitrustError, ValueError) as exc:
        _fail(str(exc))
    for note in judging.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    ectx = judging.context("fixed")

    async def go() -> list[Any]:
        try:
            out = []
            for r in wanted:
                task, ev = calibration_evaluator(r)
                out.append(await calibration.calibrate(r, ev, task, ectx, seed=seed, rounds=rounds))
            return out
        finally:
            from multitrust.scoring.classifiers.toxicity import aclose_backends

            for j in judging.owned():
                await j.aclose()
            await aclose_backends()  # the toxicity APIs' clients opened in this loop

    results = asyncio.run(go())
    table = Table(title=f"calibration of profile {escape(str(judge_profile))} (95% bootstrap intervals, seed {seed})")
    for col in ("role", "judge", "n", "unscored", "accuracy", "κ", "precision", "recall", "bias", "other"):
        table.add_column(col, justify="left" if col in ("role", "judge", "other") else "right")
    for c in results:
        f = c.figures
        other = []
        if c.extra.get("mae") is not None:
            other.append(f"MAE {c.extra['mae']:.1f}")
        if c.extra.get("class_accuracy") is not None:
            other.append(f"6-class accuracy {c.extra['class_accuracy']:.3f} (n {c.extra['class_n']})")
        table.add_row(
            c.role,
            escape(c.judge),
            str(c.n),
            str(c.unscored + c.errors),
            _fmt(f["accuracy"]) + _ci(c, "accuracy"),
            _fmt(f["kappa"]) + _ci(c, "kappa"),
            _fmt(f["precision"]) + _ci(c, "precision"),
            _fmt(f["recall"]) + _ci(c, "recall"),
            (_fmt(f["bias"]) if f["bias"] is None else f"{f['bias']:+.3f}") + _ci(c, "bias"),
            ", ".join(other),
        )
    console.print(table)
    for c in results:
        decision = calibration.DECISIONS.get(c.role)
        if decision is not None:
            console.print(f"{c.role}: positive class = {escape(decision.meaning)}", highlight=False)
    failed = [c for c in results if c.errors]
    for c in failed:  # a judge whose calls failed was not calibrated: say why, and do not store it as calibrated
        err_console.print(
            f"[bold red]error:[/] {lit(c.role)}: {c.errors} of {c.n} judge calls failed ({lit(c.judge)}); "
            f"first: {lit(c.first_error)}",
            highlight=False,
            soft_wrap=True,
        )
    keep = [c for c in results if c.errors < c.n]
    if save_figures and keep:
        path = calibration.save(keep)
        console.print(f"figures stored in {escape(str(path))}", highlight=False)
    if failed:
        raise typer.Exit(1)
