"""What ``run`` and ``score`` print when they finish: the task table, the score line, judge work and every
distinct failure cause — all read from the run's report entry, so the console says what report.json says.

Everything that comes from data (model names, paths, error messages, which may quote a server's or a data
file's text) goes through :func:`~multitrust.cli_text.lit`: markup printed as itself, control characters
(ESC, BEL, C1, bidi overrides) shown as escapes rather than reaching the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from multitrust.cli_text import lit
from multitrust.core.taxonomy import TASK_BY_ID
from multitrust.report.states import EXCLUDED, NOT_REQUESTED, NOT_RUN_TEXT_ONLY, NOT_SCORED, SCORED, STATES

#: exit code of a run or scoring that finished with tasks unscored (or excluded) because calls failed or the
#: judge's replies were not verdicts
EXIT_CALL_FAILURES = 3

_STATE_WORDS = {
    SCORED: "scored",
    EXCLUDED: "excluded from the aggregates",
    NOT_SCORED: "run but not scored",
    "no_data": "without data",
    NOT_REQUESTED: "not requested",
}


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def state_label(entry: Mapping[str, Any]) -> str:
    """A task's cell in a terminal table, from its ``task_states`` entry."""
    state, reason, score = entry.get("state"), entry.get("reason") or "", entry.get("score")
    if state == SCORED:
        return _fmt(score)
    if state == EXCLUDED:
        return f"{_fmt(score)} (excluded: {reason})"
    if state == NOT_SCORED:
        return f"run, not scored ({reason})"
    if state == "no_data":
        if reason.startswith(NOT_RUN_TEXT_ONLY):
            return reason
        return f"no data ({reason})" if reason else "no data"
    return "not requested"


def counts_text(counts: Mapping[str, int]) -> str:
    """Counts of tasks per state as words, e.g. "5 scored, 1 excluded from the aggregates"."""
    return ", ".join(f"{counts[s]} {_STATE_WORDS[s]}" for s in STATES if counts.get(s))


def score_line(run: Mapping[str, Any]) -> str:
    """The overall score, or the partial mean with how many tasks are in which state."""
    card = run["scorecard"]
    if card.get("overall") is not None:
        aspects = "  ".join(f"{name} {_fmt(a.get('score'))}" for name, a in (card.get("aspects") or {}).items())
        return f"overall trust score {card['overall']:.2f}  ({aspects})"
    counts = counts_text(run.get("state_counts") or {})
    partial = (card.get("partial") or {}).get("overall")
    if partial is not None:
        return (
            f"partial score {partial:.2f} over the complete sub-aspects (not the MultiTrust overall; tasks: {counts})"
        )
    return f"no sub-aspect is complete, so there is no score yet (tasks: {counts})"


def task_table(run: Mapping[str, Any], title: str) -> Table:
    """Every task that is not "not requested": id, name, score or state with reason, samples, errors, and
    — when a judge's replies were not verdicts — how many verdicts of each task are unscored."""
    table = Table(title=lit(title))
    tasks = run.get("tasks") or {}
    show_unscored = any((t or {}).get("unscored") for t in tasks.values())
    columns = [("task", "left"), ("name", "left"), ("score", "right"), ("samples", "right"), ("errors", "right")]
    if show_unscored:
        columns.append(("unscored", "right"))
    for col, just in columns:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for tid, st in (run.get("task_states") or {}).items():
        if st.get("state") == NOT_REQUESTED:
            continue
        info = TASK_BY_ID.get(tid)
        entry = tasks.get(tid) or {}
        name = info.name if info else str(entry.get("name", ""))
        cells = [lit(tid), lit(name), lit(state_label(st))]
        cells += [str(entry.get("n_samples", "")), str(entry.get("n_errors", ""))]
        if show_unscored:
            cells.append(str(entry.get("unscored", 0) or 0) if entry else "")
        table.add_row(*cells)
    return table


def unscored_tasks(run: Mapping[str, Any]) -> dict[str, int]:
    """Tasks not scored or excluded from the aggregates because the judge's replies were not verdicts (and
    not because calls failed, which :func:`print_outcome` reports on its own): task id → unscored count."""
    states = run.get("task_states") or {}
    out = {}
    for tid, t in (run.get("tasks") or {}).items():
        state = (states.get(tid) or {}).get("state")
        if t.get("unscored") and not t.get("call_failures") and state in (NOT_SCORED, EXCLUDED):
            out[tid] = int(t["unscored"])
    return out


def judges_lines(judges: Mapping[str, Mapping[str, int]]) -> list[str]:
    return [
        f"judge calls ({spec}): {c.get('calls', 0)} made, {c.get('retries', 0)} retries, {c.get('failed', 0)} failed"
        for spec, c in judges.items()
    ]


def cause_lines(causes: list[Mapping[str, Any]]) -> list[str]:
    """Each distinct failure cause once, with its count and an example sample."""
    lines = []
    for c in causes:
        n = c["count"]
        what = {"model": "model call", "judge": "judge call", "build": "sample"}.get(c["kind"], c["kind"])
        lines.append(f"  {n} × {what}{'s' if n != 1 else ''} failed: {c['cause']} (e.g. {c['example']})")
    return lines


def print_outcome(console: Console, run: Mapping[str, Any], *, title: str, judges: Mapping[str, Any]) -> int:
    """Print the task table, score line, judge work and failure causes of ``run`` (a report entry);
    return the exit code (:data:`EXIT_CALL_FAILURES` when calls left tasks unscored or excluded)."""
    console.print(task_table(run, title))
    line = score_line(run)
    if line.startswith("overall"):
        console.print(f"[bold]{lit(line)}[/]", highlight=False)
    else:
        console.print(lit(line), highlight=False)
    for text in judges_lines(judges):
        console.print(lit(text), highlight=False)
    causes = run.get("failure_causes") or []
    if causes:
        console.print("failure causes:", highlight=False, markup=False)
        for text in cause_lines(causes):
            console.print(lit(text), highlight=False, soft_wrap=True)
    code = 0
    failed = [tid for tid, t in (run.get("tasks") or {}).items() if t.get("call_failures")]
    if failed:
        console.print(
            f"{len(failed)} task(s) not scored or excluded because calls failed: {', '.join(failed)}",
            highlight=False,
            markup=False,
        )
        code = EXIT_CALL_FAILURES
    babbled = unscored_tasks(run)
    if babbled:  # a judge that answers, but not with verdicts, has not done its job either
        console.print(
            lit(
                f"{len(babbled)} task(s) not scored or excluded because the judge's replies were not verdicts "
                f"({sum(babbled.values())} unscored verdicts): {', '.join(babbled)}"
            ),
            highlight=False,
        )
        code = EXIT_CALL_FAILURES
    return code
