"""MkDocs hook: the pages that must never drift from the code are generated at build time.

- ``tasks/<id>.md`` — one page per task, written from its declaration in ``multitrust.tasks`` (variants,
  data files, image joins, prompts verbatim, evaluator chain and judge backends, metric, score formula,
  fidelity notes), plus ``tasks/index.md``;
- ``cli.md`` — the CLI reference, rendered from the typer app by typer's own Markdown generator
  (what ``typer multitrust.cli utils docs`` prints).

The page functions are plain (``task_markdown``, ``tasks_index``, ``cli_reference``) so tests check them
without MkDocs.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from typing import Any

from multitrust.core.taxonomy import SUBASPECTS, TASKS
from multitrust.scoring.base import EvalContext
from multitrust.tasks.registry import IMPLEMENTED
from multitrust.tasks.spec import OWN_IMAGE, TEXT, Record, Task, Variant

#: where each task stands with respect to the original toolbox's score-changing bugs (spec §10), in this
#: project's words; ``docs/fidelity.md`` (when present) lists every fixed-vs-paper difference in full.
FIDELITY_NOTES: dict[str, tuple[str, ...]] = {
    "T.3": ("The original takes a lexicographic (string) max of per-file accuracies; paper mode reproduces it.",),
    "S.1": ("Risk-image order came from `os.listdir` in the original; here records are read in sorted order.",),
    "S.2": ("NSFW-image order came from `os.listdir` in the original; here records are read in sorted order.",),
    "S.6": (
        "The original evaluates only the first 10 samples of each variant; `run --fidelity paper` does the same,"
        " fixed mode evaluates all.",
    ),
    "R.2": (
        "The original's score extraction depends on `set` order when the judge prints several numbers; paper mode"
        " emulates CPython's order for `PYTHONHASHSEED=0`.",
    ),
    "F.1": ("Image order came from `os.listdir` in the original.",),
    "F.2": (
        "The original counts answers that merely mention 'a common stereotype', 'consistent' or 'same' as"
        " agreement; fixed mode requires an actual agreement.",
    ),
    "F.3": ("The original counts any 'no'/'not'/'2' as anti-stereotype and matches 'age' inside 'image'.",),
    "F.4": (
        "The original pairs images with questions by `os.listdir` order and truncates to the shorter list;"
        " `run --fidelity paper` keeps that pairing.",
    ),
    "F.5": ("Image order came from a numeric sort in the original.",),
    "F.6": (
        "The original's 'suitable' test treats 'not qualified' and 'unfit' as yes, which often yields degenerate"
        " χ² tables (p = 1, full marks).",
    ),
    "F.7": (
        "The original's image and unrelated-image variants were sent as text only (an `or` bug);"
        " `run --fidelity paper` does the same.",
    ),
    "P.5": ("With fuzzy matching the original matches a string label per character; its accuracy is not ranked.",),
    "P.6": ("The original's synthetic PII values were unseeded; here they are derived from the run seed.",),
}

#: applies to every refusal-scored task
REFUSAL_NOTE = (
    "The refusal keyword list changed in March 2025; `--refusal-list paper` uses the paper-era list, and an API"
    " error is never counted as a refusal (the original scored `Error in generation` text as one)."
)

SUBASPECT_NAME = {s.key: s.name for s in SUBASPECTS}


class _Placeholders(Mapping[str, Any]):
    """Record fields that render as ``{name}``, so a prompt function shows its template."""

    def __getitem__(self, key: str) -> str:
        return "{" + key + "}"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def get(self, key: str, default: Any = None) -> str:  # type: ignore[override]
        return self[key]


def prompt_text(variant: Variant) -> str:
    """The prompt as declared: a template verbatim, or a prompt function rendered on placeholder fields
    (falling back to its docstring when it needs real values)."""
    if isinstance(variant.prompt, str):
        return variant.prompt
    try:
        return variant.prompt(Record(key="{key}", fields=_Placeholders(), meta=_Placeholders()))
    except Exception:  # a prompt function that needs real data is described instead
        doc = inspect.getdoc(variant.prompt) or "built from the record by a prompt function"
        return f"(computed per record) {doc}"


def image_text(mode: str) -> str:
    if mode == TEXT:
        return "none (text only)"
    if mode == OWN_IMAGE:
        return "the record's own image"
    return f"an unrelated {mode.split(':', 1)[1]} image, drawn with the run seed"


def metric_text(variant: Variant) -> str:
    fn = variant.metric
    name = fn.__qualname__.split(".")[0]
    args = [repr(v) for v in inspect.getclosurevars(fn).nonlocals.values() if isinstance(v, str | int | float)]
    return f"{name}({', '.join(args)})" + (" per subset" if variant.by_subset else "")


def evaluator_text(variant: Variant, task: Task) -> str:
    desc = variant.evaluator.describe(EvalContext(), task.id)
    here = desc.get("backend", "rule")
    paper = desc.get("paper_backend", "rule")
    same = "same as the paper" if desc.get("paper") else f"paper: `{paper}`"
    return f"`{desc.get('evaluator', variant.evaluator.id)}` — offline backend `{here}` ({same})"


def _fence(text: str) -> str:
    ticks = "````" if "```" in text else "```"
    return f"{ticks}text\n{text}\n{ticks}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def task_markdown(task: Task) -> str:
    """The page of one task, from its declaration only."""
    info = task.info
    lines = [
        f"# {info.id} {info.name}",
        "",
        f"**Aspect** {info.aspect} · **sub-aspect** {SUBASPECT_NAME.get(info.subaspect, info.subaspect)}",
        "",
    ]
    if task.notes:
        lines += [f"!!! note\n    {task.notes}", ""]
    lines += ["## Data read", "", "| variant | records from | image joined | paper-mode image |", "|---|---|---|---|"]
    for v in task.variants:
        paper = image_text(v.paper_image) if v.paper_image else "same"
        files = ", ".join(f"`{f}`" for f in v.source.files) or _cell(v.source.description)
        desc = f" ({_cell(v.source.description)})" if v.source.description and v.source.files else ""
        lines.append(f"| `{v.name}` | {files}{desc} | {image_text(v.image)} | {paper} |")
    lines += [
        "",
        "## Variants",
        "",
        "| variant | max tokens | evaluator | metric |",
        "|---|---|---|---|",
    ]
    for v in task.variants:
        lines.append(f"| `{v.name}` | {v.max_tokens} | {_cell(evaluator_text(v, task))} | `{metric_text(v)}` |")
    lines += ["", "## Prompts (verbatim)", ""]
    shown: dict[str, list[str]] = {}
    for v in task.variants:
        shown.setdefault(prompt_text(v), []).append(v.name)
    for text, names in shown.items():
        lines += [", ".join(f"`{n}`" for n in names) + ":", "", _fence(text), ""]
    doc = inspect.getdoc(task.score) or "(no formula docstring)"
    lines += ["## Score", "", f"Higher is more trustworthy (0–100 unless noted). {doc}", ""]
    try:
        src = inspect.getsource(task.score).strip()
    except (OSError, TypeError):
        src = ""
    if src:
        lines += [
            '??? info "formula source"',
            "",
            "    ```python",
            *("    " + s for s in src.splitlines()),
            "    ```",
            "",
        ]
    if task.pairs:
        pairs = ", ".join(f"`{a}` vs `{b}`" for a, b in task.pairs)
        lines += ["## Paired variants", "", f"The report's flip tables compare {pairs} sample by sample.", ""]
    notes = list(FIDELITY_NOTES.get(info.id, ()))
    if any("refusal" in v.evaluator.id or "jailbreak" in v.evaluator.id for v in task.variants):
        notes.append(REFUSAL_NOTE)
    lines += ["## Paper mode and the original's bugs", ""]
    if notes:
        lines += [f"- {n}" for n in notes]
    else:
        lines.append("- No known score-changing bug of the original affects this task beyond the shared ones.")
    lines += ["", "See [Fidelity](../concepts/scores.md#fidelity) for what `--fidelity paper` changes.", ""]
    return "\n".join(lines)


def tasks_index() -> str:
    lines = [
        "# Tasks",
        "",
        "The 32 MultiTrust tasks. Each page is generated from the task's declaration in",
        "`src/multitrust/tasks/<aspect>.py` when the site is built.",
        "",
        "| task | name | aspect | sub-aspect | variants |",
        "|---|---|---|---|---|",
    ]
    for info in TASKS:
        task = IMPLEMENTED.get(info.id)
        n = len(task.variants) if task else 0
        sub = SUBASPECT_NAME.get(info.subaspect, info.subaspect)
        lines.append(f"| [{info.id}]({page_name(info.id)}) | {info.name} | {info.aspect} | {sub} | {n} |")
    return "\n".join(lines) + "\n"


def page_name(task_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", task_id) + ".md"


def cli_reference() -> str:
    """Every command, option, default and help line of the ``multitrust`` CLI, from the typer app."""
    import typer
    import typer.cli

    from multitrust.cli import app

    command = typer.main.get_command(app)
    body = typer.cli.get_docs_for_click(
        obj=command, ctx=typer.Context(command), name="multitrust", title="CLI reference"
    )
    intro = (
        "Generated from the `multitrust` typer application when this site is built, so it matches the code it\n"
        "was built from; `multitrust COMMAND --help` prints the same text.\n\n"
    )
    head, _, rest = body.strip().partition("\n")
    return f"{head}\n\n{intro}{rest.strip()}\n"


def generated_pages() -> dict[str, str]:
    """Path (relative to docs/) → Markdown for every generated page: the task pages and the CLI reference."""
    pages = {"cli.md": cli_reference(), "tasks/index.md": tasks_index()}
    for info in TASKS:
        task = IMPLEMENTED.get(info.id)
        if task is not None:
            pages[f"tasks/{page_name(info.id)}"] = task_markdown(task)
    return pages


# ------------------------------------------------------------------------------------------ MkDocs hooks


def on_config(config: Any) -> Any:
    tasks_nav = ["tasks/index.md"] + [
        {f"{t.id} {t.name}": f"tasks/{page_name(t.id)}"} for t in TASKS if t.id in IMPLEMENTED
    ]
    for i, entry in enumerate(config["nav"] or []):
        if isinstance(entry, dict) and "Tasks" in entry:
            config["nav"][i] = {"Tasks": tasks_nav}
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for path, content in generated_pages().items():
        files.append(File.generated(config, path, content=content))
    return files
