"""Printing ``multitrust run --dry-run``: one row per task, totals, and the price table's date."""

from __future__ import annotations

from datetime import date

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from multitrust.cli_text import lit
from multitrust.core.errors import MultitrustError
from multitrust.engine.config import RunConfig


def _money(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def price_notes(
    specs: list[str], prices: dict[str, dict[str, float] | None], as_of: str, today: date | None = None
) -> list[str]:
    """One line per priced model saying its price and whether it was verified (the packaged table's are not:
    written from memory on ``as_of``), and one per model whose shutdown date the table knows."""
    from multitrust.engine.dryrun import price_verified, shutdown_for
    from multitrust.models.spec import parse_model_spec

    today = today or date.today()
    lines = []
    for spec in specs:
        price = prices.get(spec)
        try:
            parsed = parse_model_spec(spec)
        except MultitrustError:
            continue  # a toxicity backend's name: free, nothing to say
        if price is not None and (price["input"] or price["output"]):
            state = "verified" if price_verified(parsed) else "UNVERIFIED (from memory, not checked with the provider)"
            lines.append(
                f"price of {spec}: {_money(price['input'])} in / {_money(price['output'])} out per 1M tokens, "
                f"{state}, as of {as_of}"
            )
        gone = shutdown_for(parsed)
        if gone is not None:
            when = date.fromisoformat(gone["date"])
            verb = "was shut down" if when <= today else "shuts down"
            lines.append(f"note: {spec} {verb} on {gone['date']} (source: {gone['source']})")
    return lines


def print_dry_run(cfg: RunConfig, console: Console) -> None:
    """Plan the run, print what it would send and cost; nothing is sent and nothing is written."""
    from multitrust.engine.dryrun import dry_run, price_table

    plan = dry_run(cfg)
    judges = plan.judge_specs()
    table = Table(title=escape(f"dry run: {plan.model} (nothing sent)"))
    for col, just in (
        ("task", "left"),
        ("model requests", "right"),
        ("prompt tokens ≈", "right"),
        ("completion tokens ≤", "right"),
        ("judge requests", "right"),
        ("judge tokens ≈ in / ≤ out", "right"),
        ("cost ≤", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    grand = 0.0
    for t in plan.tasks:
        if t.error:
            table.add_row(t.task, "[red]data error", "", "", "", "", "")
            continue
        jreq = sum(c.requests for c in t.judges.values())
        jin = sum(c.prompt_tokens for c in t.judges.values())
        jout = sum(c.completion_tokens for c in t.judges.values())
        cost, priced = plan.cost(t)
        grand += cost
        table.add_row(
            t.task,
            f"{t.model.requests:,}",
            f"{t.model.prompt_tokens:,}",
            f"{t.model.completion_tokens:,}",
            f"{jreq:,}",
            f"{jin:,} / {jout:,}" if jreq else "—",
            _money(cost) if priced else (_money(cost) + " + unpriced" if cost else "unpriced"),
        )
    console.print(table)
    model_calls = sum(t.model.requests for t in plan.tasks)
    console.print(
        f"model under test {plan.model}: {model_calls:,} requests"
        + "".join(
            f"; judge {spec}: {sum(t.judges[spec].requests for t in plan.tasks if spec in t.judges):,} requests"
            for spec in judges
        ),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    prices = price_table()
    used = [s for s in (plan.model, *judges) if s in plan.prices]
    unpriced = [s for s in used if plan.prices[s] is None]
    console.print(
        f"estimated cost at most {_money(grand)}"
        + (f" (not priced: {', '.join(unpriced)})" if unpriced else "")
        + f"; prices as of {prices['as_of']} ({prices['currency']} {prices['unit']}, packaged table: may be out "
        "of date). Completion tokens are the max_tokens caps; prompt tokens ≈ 4 characters per token.",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    for line in price_notes(used, plan.prices, prices["as_of"]):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    for t in plan.tasks:
        if t.error:
            console.print(lit(f"{t.task}: {t.error}"), highlight=False, soft_wrap=True)
        if t.unbuildable:
            console.print(
                f"{t.task}: {t.unbuildable} samples cannot be built (not sent)", highlight=False, soft_wrap=True
            )
        if t.not_run:
            console.print(
                f"{t.task}: not run (text only): {', '.join(t.not_run)}", highlight=False, markup=False, soft_wrap=True
            )
