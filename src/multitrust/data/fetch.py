"""``multitrust data fetch``: the official release (or the part of it some tasks read) into a local tree.

From the hub it is ``huggingface_hub.snapshot_download`` of the dataset at the pinned revision with
``allow_patterns`` from the tasks' declarations; the token comes from ``HF_TOKEN`` or the stored login, as
for any hub client. Re-running the same command resumes: files already written at that revision are not
requested again, and a transfer cut mid-file is resumed with a ``Range`` request by the client. From a
bundle (``--from``) it unpacks and verifies the files instead, with no network at all.

Either way the tree gets a local manifest (``.multitrust/fetch-manifest.json``) of every file written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multitrust.core.errors import DataError
from multitrust.data.manifest import (
    LocalEntry,
    local_entries,
    matches,
    read_local_manifest,
    release_manifest,
    sha256_file,
    write_local_manifest,
)

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def gated_message(dataset: str, status: int) -> str:
    return (
        f"the hub refused access to {dataset} (HTTP {status}): accept the dataset's terms at "
        f"https://huggingface.co/datasets/{dataset} while logged in, then set HF_TOKEN to a token of that account"
    )


def offline_message(reason: str) -> str:
    return (
        f"cannot reach the Hugging Face Hub ({reason}): on an offline machine unpack a bundle with "
        "`multitrust data fetch --from BUNDLE --out DIR`, or run on a tree you already have with `--data DIR`"
    )


@dataclass(frozen=True)
class FetchResult:
    out: Path
    dataset: str
    revision: str
    #: files this fetch matched (already present ones included)
    files: int
    bytes: int
    patterns: tuple[str, ...]
    source: str


def fetch(
    out: str | Path,
    patterns: Sequence[str],
    *,
    revision: str | None = None,
    bundle: str | Path | None = None,
    token: str | None = None,
    progress: bool = True,
    max_workers: int = 8,
) -> FetchResult:
    """Fetch the release files matching ``patterns`` into ``out`` (from the hub, or from ``bundle``)."""
    out = Path(out).expanduser()
    if bundle is not None:
        from multitrust.data.bundle import extract_bundle

        return extract_bundle(bundle, out, patterns)
    manifest = release_manifest()
    revision = revision or manifest.revision
    hub = _hub()
    out.mkdir(parents=True, exist_ok=True)
    try:
        # one plain request first: it fails at once (no retry loop) when the hub is unreachable or refuses
        # access, and turns a branch or tag into the commit the whole fetch (and its manifest) is of
        commit = _resolve(hub, manifest.dataset, revision, token)
        if not progress:
            hub.utils.disable_progress_bars()
        listing = [
            f
            for f in hub.HfApi().list_repo_tree(
                manifest.dataset, recursive=True, revision=commit, repo_type="dataset", token=token
            )
            if isinstance(f, hub.hf_api.RepoFile)
        ]
        hub.snapshot_download(
            manifest.dataset,
            repo_type="dataset",
            revision=commit,
            local_dir=str(out),
            allow_patterns=list(patterns),
            token=token,
            max_workers=max_workers,
        )
    except Exception as exc:
        raise _explain(exc, manifest.dataset, revision) from None
    finally:
        if not progress:
            hub.utils.enable_progress_bars()
    wanted = {f.path: f.size for f in listing if matches(f.path, patterns)}
    entries = _record(out, wanted)
    write_local_manifest(out, entries.values(), dataset=manifest.dataset, revision=commit)
    return FetchResult(
        out, manifest.dataset, commit, len(wanted), sum(wanted.values()), tuple(patterns), f"hub {manifest.dataset}"
    )


def _hub() -> Any:
    try:
        import huggingface_hub
        import huggingface_hub.hf_api
        import huggingface_hub.utils
    except ImportError:  # pragma: no cover - the data extra is not installed
        raise DataError("`data fetch` needs huggingface_hub: pip install 'multitrust[data]'") from None
    return huggingface_hub


def _resolve(hub: Any, dataset: str, revision: str, token: str | None) -> str:
    info = hub.HfApi().dataset_info(dataset, revision=revision, token=token)
    return revision if _COMMIT.match(revision) else str(info.sha)


def _record(out: Path, wanted: dict[str, int]) -> dict[str, LocalEntry]:
    """The local manifest's entries: earlier fetches' files plus this one's, each checked against the size
    the hub listed and hashed once (a file whose size and recorded hash are unchanged is not re-hashed)."""
    known = local_entries(out) if read_local_manifest(out) is not None else {}
    for rel, size in sorted(wanted.items()):
        p = out / rel
        if not p.is_file():
            raise DataError("not written by the download (run the same command again to resume)", path=rel)
        actual = p.stat().st_size
        if actual != size:
            raise DataError(f"downloaded {actual} bytes, the hub lists {size} (run again to resume)", path=rel)
        prev = known.get(rel)
        if prev is None or prev.bytes != actual:
            known[rel] = LocalEntry(rel, actual, sha256_file(p))
    return known


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _is_connection_error(e: BaseException) -> bool:
    """The HTTP client's connect/timeout errors, by name (``httpx`` or ``httpx2``, whichever the hub uses)."""
    return any(c.__name__ in ("ConnectError", "TimeoutException", "ConnectTimeout") for c in type(e).__mro__)


def _explain(exc: Exception, dataset: str, revision: str) -> DataError:
    """One line for what went wrong with the hub, never the client's multi-line traceback text."""
    from huggingface_hub import errors

    for e in _chain(exc):
        if isinstance(e, errors.RevisionNotFoundError):
            return DataError(f"revision {revision!r} not found in {dataset} (see --revision)")
        if isinstance(e, errors.HfHubHTTPError) and e.response is not None:
            status = e.response.status_code
            if status in (401, 403) or isinstance(e, errors.GatedRepoError):
                return DataError(gated_message(dataset, status))
    for e in _chain(exc):
        if isinstance(e, errors.OfflineModeIsEnabled) or (
            isinstance(e, errors.LocalEntryNotFoundError) and os.environ.get("HF_HUB_OFFLINE") not in (None, "", "0")
        ):
            return DataError(offline_message("HF_HUB_OFFLINE is set"))
        if _is_connection_error(e):
            return DataError(offline_message(type(e).__name__))
        if isinstance(e, errors.LocalEntryNotFoundError):
            return DataError(offline_message("no connection"))
    for e in _chain(exc):
        if isinstance(e, errors.HfHubHTTPError) and e.response is not None:
            return DataError(f"the hub answered HTTP {e.response.status_code} for {dataset}; run again to resume")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return DataError(f"download from {dataset} stopped ({type(exc).__name__}: {first}); run again to resume")
