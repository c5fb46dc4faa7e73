"""``multitrust data fetch`` and ``data bundle``, and the release-manifest layer of ``data check``.

Kept out of ``cli.py`` so the official-release commands can grow without touching the main command file;
``cli.py`` registers them on its ``data`` group with :func:`register`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from multitrust.cli_text import lit
from multitrust.core.errors import MultitrustError

console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {lit(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _patterns(tasks: str) -> tuple[list[str], list[str]]:
    from multitrust.tasks.needs import release_patterns
    from multitrust.tasks.registry import select_tasks

    task_ids = select_tasks(tasks)
    return task_ids, release_patterns(task_ids)


def fetch_cmd(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the tree into (created if needed).")],
    tasks: Annotated[str, typer.Option(help="Task ids / aspects whose data to fetch, or 'all'.")] = "all",
    revision: Annotated[
        str | None, typer.Option(help="Dataset revision (commit, branch or tag; default: the pinned release revision).")
    ] = None,
    from_bundle: Annotated[
        Path | None, typer.Option("--from", help="Unpack a bundle made by `data bundle` instead of the hub.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Fetch the official MultiTrust release (thu-ml/MultiTrust, gated: accept its terms on the hub and set
    HF_TOKEN), or the part the chosen tasks read. Re-run the same command to resume."""
    from multitrust.data.fetch import fetch

    try:
        task_ids, patterns = _patterns(tasks)
        if from_bundle is not None and revision is not None:
            raise MultitrustError("--revision applies to the hub; a bundle holds the revision it was made from")
        result = fetch(out, patterns, revision=revision, bundle=from_bundle, progress=not quiet)
    except MultitrustError as exc:
        _fail(str(exc))
    console.print(
        f"fetched {result.files} files ({result.bytes / 1e6:,.1f} MB) for {len(task_ids)} task(s) from "
        f"{result.source} at revision {result.revision[:12]} into {result.out}",
        highlight=False,
        markup=False,
    )


def bundle_cmd(
    path: Annotated[Path, typer.Argument(help="A tree written by `data fetch` (or any official-layout tree).")],
    out: Annotated[Path, typer.Option("--out", help="The bundle file to write (a tar).")],
    tasks: Annotated[str, typer.Option(help="Task ids / aspects whose data to bundle, or 'all'.")] = "all",
) -> None:
    """Pack a fetched tree (or the chosen tasks' part of it) into one file for a machine without hub access;
    unpack it there with `multitrust data fetch --from BUNDLE --out DIR`."""
    from multitrust.data.bundle import write_bundle

    try:
        task_ids, patterns = _patterns(tasks)
        files, size = write_bundle(path, out, patterns)
    except MultitrustError as exc:
        _fail(str(exc))
    console.print(
        f"bundled {files} files ({size / 1e6:,.1f} MB) for {len(task_ids)} task(s) into {out}",
        highlight=False,
        markup=False,
    )


def require_named_task_data(data: object, selector: str) -> None:
    """``run --tasks T.6`` on a tree without T.6's data fails before anything runs, naming the missing path
    (tasks reached through an aspect or ``all`` are reported as "no data" instead)."""
    from multitrust.data.locate import BUILTIN
    from multitrust.tasks.needs import named_task_ids, require_data

    if data is None or str(data) == BUILTIN:
        return
    root = Path(str(data)).expanduser()
    if root.is_dir():
        require_data(root, named_task_ids(selector))


def register(data_app: typer.Typer) -> None:
    data_app.command("fetch")(fetch_cmd)
    data_app.command("bundle")(bundle_cmd)


# ------------------------------------------------------------------------------------ data check: release


@dataclass
class ReleaseLayer:
    """The release-manifest checks ``data check`` adds for a tree that is the official release: query files
    missing, modified (size / SHA-256) or with another row count, and files ``data fetch`` wrote that are
    gone. Built-in trees are synthetic and are not held to it."""

    root: Path
    #: False when the tree was fetched at another revision than the manifest's: its query files may differ
    check_queries: bool = True
    kinds: Counter[str] = field(default_factory=Counter)
    _local: list = field(default_factory=list)

    def problems(self, task_id: str, loader_problems: tuple[str, ...] = ()) -> list[str]:
        from multitrust.data.manifest import matches, verify_query_files
        from multitrust.tasks.needs import release_patterns, release_query_files

        out = verify_query_files(self.root, release_query_files(task_id)) if self.check_queries else []
        named = {p.path for p in out}
        patterns = release_patterns([task_id])
        for p in self._local:
            if p.path in named or not matches(p.path, patterns):
                continue
            if any(line.startswith(f"{p.path}:") for line in loader_problems):
                continue  # the loader check already named this image
            out.append(p)
        for p in out:
            self.kinds[p.kind] += 1
        for line in loader_problems:
            self.kinds["absent" if "missing image" in line else "missing" if "missing file" in line else "other"] += 1
        return [str(p) for p in out]

    def summary(self, n_tasks: int, n_bad: int) -> str:
        k = self.kinds
        parts = [
            f"{k['missing']} missing file(s)",
            f"{k['modified']} modified",
            f"{k['rows']} row-count mismatch(es)",
            f"{k['absent']} referenced image(s)/file(s) absent",
        ]
        if k["other"]:
            parts.append(f"{k['other']} other problem(s)")
        head = f"official release check: {n_tasks - n_bad} of {n_tasks} task(s) ok"
        if not self.check_queries:
            head += " (fetched at another revision: query files checked against the fetch manifest only)"
        return head + (f"; {n_bad} with problems: {', '.join(parts)}" if n_bad else "")


def release_layer(root: Path, mode: str = "auto") -> ReleaseLayer | None:
    """The release layer for ``root``, or None when the tree is not held to the release manifest
    (``mode``: ``auto`` = when it was fetched or is a hub snapshot, ``always``, ``never``)."""
    from multitrust.data.manifest import (
        is_release_tree,
        local_entries,
        read_local_manifest,
        release_manifest,
        verify_local_files,
    )

    if mode not in ("auto", "always", "never"):
        raise MultitrustError(f"--release {mode!r}: use auto, always or never")
    if mode == "never" or (mode == "auto" and not is_release_tree(root)):
        return None
    fetched = read_local_manifest(root)
    same_revision = fetched is None or fetched.get("revision") == release_manifest().revision
    layer = ReleaseLayer(root, check_queries=same_revision)
    layer._local = verify_local_files(root, local_entries(root).values())
    return layer
