"""``multitrust list models --published``: the route table of the published leaderboard's models."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

_STATUS_STYLE = {
    "tested": "green",
    "api": "cyan",
    "remote_code": "yellow",
    "untested": "magenta",
    "not_supported": "red",
}


def published_table() -> Table:
    """One row per leaderboard model in rank order: its published score, the spec to run it, the status and
    the evidence behind the status (the architecture test, or what was checked / why not)."""
    import csv
    from importlib import resources

    from multitrust.models.routes import load_routes

    text = resources.files("multitrust.reference").joinpath("published_leaderboard.csv").read_text(encoding="utf-8")
    board = list(csv.DictReader(text.splitlines()))
    routes = {r.model: r for r in load_routes()}
    table = Table(title="published models: routes (multitrust run --model published:<model>)", show_lines=False)
    for col in ("rank", "model", "score", "spec", "remote code", "status", "evidence"):
        table.add_column(col, overflow="fold")
    for row in board:
        route = routes.get(row["model"])
        if route is None:  # test_routes guarantees this does not happen for the packaged table
            table.add_row(row["rank"], escape(row["model"]), row["overall_score"], "—", "", "[red]no route[/]", "")
            continue
        evidence = _first_clause(route.test.rpartition("/")[2] if route.test else route.checked or "")
        style = _STATUS_STYLE.get(route.status, "")
        table.add_row(
            row["rank"],
            escape(route.model),
            row["overall_score"],
            escape(route.spec),
            "yes" if route.trust_remote_code else "",
            f"[{style}]{route.status}[/]",
            escape(evidence),
        )
    return table


def _first_clause(text: str, width: int = 90) -> str:
    """The evidence's first clause, short enough for a table cell (the whole text is in the YAML)."""
    text = " ".join(text.split())
    for sep in ("; ", ". ", " ("):
        head, found, _ = text.partition(sep)
        if found and len(head) >= 20:
            text = head
            break
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def print_published(console: Console) -> None:
    from multitrust.models.routes import load_routes

    console.print(published_table())
    counts: dict[str, int] = {}
    for route in load_routes():
        counts[route.status] = counts.get(route.status, 0) + 1
    console.print("full evidence per model: src/multitrust/models/published_routes.yaml", highlight=False)
    console.print(", ".join(f"{n} {status}" for status, n in counts.items()), highlight=False)
