"""A loopback stand-in for the Hugging Face Hub, serving one dataset repo to the real ``huggingface_hub`` client.

Why a server and not a mocked client: ``multitrust data fetch`` is ``snapshot_download`` — its listing,
per-file metadata calls, resume-by-``Range`` after a dropped connection and error mapping (a gated repo's
403) only show up over real sockets. Point the client at it with ``HF_ENDPOINT=<hub.url>``.

Endpoints (the ones ``snapshot_download(repo_type="dataset")`` uses)::

    GET  /api/datasets/{repo}/revision/{rev}           repo info: ``sha`` and ``siblings``
    GET  /api/datasets/{repo}/tree/{rev}[/{path}]      recursive listing, paginated with a ``Link`` header
    HEAD /datasets/{repo}/resolve/{rev}/{path}         ``X-Repo-Commit``, ``ETag`` (``X-Linked-Etag`` and
                                                       ``X-Linked-Size`` for LFS files), ``Content-Length``
    GET  /datasets/{repo}/resolve/{rev}/{path}         the bytes; honours ``Range: bytes=N-``

Faults: ``refuse=403`` (or 401) answers every request as a gated repo does before its terms are accepted;
``require_token`` refuses requests without that bearer token; ``cut_once`` sends the full ``Content-Length``
of a file but closes the connection halfway through the body, once per path. Every request is logged
(method, path, range, whether it carried a token — never the token itself) in :attr:`FakeHub.requests`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

__all__ = ["FakeHub", "HubRequest", "files_from_dir"]

DEFAULT_COMMIT = "84dc74754959e9f52b67c5185700f4f7fcd8c4df"
LFS_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ttf")


@dataclass(frozen=True)
class HubRequest:
    method: str
    path: str
    range: str | None
    authorized: bool

    @property
    def file(self) -> str | None:
        """The repo path of a ``resolve`` request, else None."""
        parts = self.path.split("/resolve/", 1)
        return parts[1].split("/", 1)[1] if len(parts) == 2 and "/" in parts[1] else None


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def files_from_dir(root: str | Path) -> dict[str, bytes]:
    """Every file under ``root`` as ``{repo path: bytes}``."""
    base = Path(root)
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


@dataclass
class FakeHub:
    """One dataset repo at one commit. Use as a context manager or call :meth:`start` / :meth:`stop`."""

    files: Mapping[str, bytes]
    repo_id: str = "thu-ml/MultiTrust"
    commit: str = DEFAULT_COMMIT
    #: other revision names (branches) that resolve to :attr:`commit`
    branches: tuple[str, ...] = ("main",)
    refuse: int | None = None
    require_token: str | None = None
    #: repo paths whose first GET is cut after this fraction of the body
    cut_once: dict[str, float] = field(default_factory=dict)
    page_size: int = 50
    is_lfs: Callable[[str], bool] = lambda path: path.lower().endswith(LFS_SUFFIXES)
    requests: list[HubRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._cut_done: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        assert self._server is not None, "hub not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------------------------------- queries

    def file_gets(self) -> list[str]:
        """Repo paths of the GET ``resolve`` requests, in arrival order (one per attempt)."""
        with self._lock:
            return [r.file for r in self.requests if r.method == "GET" and r.file is not None]

    def log(self, request: HubRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def take_cut(self, path: str) -> float | None:
        with self._lock:
            if path in self.cut_once and path not in self._cut_done:
                self._cut_done.add(path)
                return self.cut_once[path]
        return None

    def resolves(self, revision: str) -> bool:
        return revision == self.commit or revision in self.branches

    def entry(self, path: str) -> dict[str, Any]:
        data = self.files[path]
        out: dict[str, Any] = {"type": "file", "path": path, "size": len(data), "oid": git_blob_sha1(data)}
        if self.is_lfs(path):
            out["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        return out

    def listing(self, prefix: str) -> list[dict[str, Any]]:
        """Files and folders under ``prefix`` (recursive), folders first as the hub lists them."""
        paths = sorted(p for p in self.files if not prefix or p.startswith(prefix.rstrip("/") + "/"))
        folders = sorted({"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)})
        folders = [f for f in folders if not prefix or f.startswith(prefix.rstrip("/") + "/")]
        return [{"type": "directory", "path": f, "oid": git_blob_sha1(f.encode()), "size": 0} for f in folders] + [
            self.entry(p) for p in paths
        ]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: FakeHub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ------------------------------------------------------------------------------------------- helpers

    def _send(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

    def _authorized(self) -> bool:
        return self.headers.get("Authorization", "").startswith("Bearer ")

    def _gate(self) -> bool:
        """Answer the request with the configured refusal; True when refused."""
        hub = self.hub
        if hub.refuse is not None:
            self._error(
                hub.refuse,
                "GatedRepo",
                f"Access to dataset {hub.repo_id} is restricted. You must have access to it and be authenticated.",
            )
            return True
        if hub.require_token is not None and self.headers.get("Authorization") != f"Bearer {hub.require_token}":
            self._error(401, "GatedRepo", f"Access to dataset {hub.repo_id} is restricted; log in to access it.")
            return True
        return False

    # ------------------------------------------------------------------------------------------- routing

    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def _route(self) -> None:
        hub = self.hub
        url = urlsplit(self.path)
        path = unquote(url.path)
        hub.log(HubRequest(self.command, path, self.headers.get("Range"), self._authorized()))
        if self._gate():
            return
        api = f"/api/datasets/{hub.repo_id}/"
        resolve = f"/datasets/{hub.repo_id}/resolve/"
        if path.startswith(api + "revision/") and self.command == "GET":
            self._repo_info(path.removeprefix(api + "revision/"))
        elif path.startswith(api + "tree/") and self.command == "GET":
            self._tree(path.removeprefix(api + "tree/"), parse_qs(url.query))
        elif path.startswith(resolve):
            self._resolve(path.removeprefix(resolve))
        else:
            self._error(404, "RepoNotFound", f"Repository not found: {path}")

    def _repo_info(self, revision: str) -> None:
        hub = self.hub
        if not hub.resolves(revision):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return
        siblings = [{"rfilename": p} for p in sorted(hub.files)]
        self._json(200, {"id": hub.repo_id, "sha": hub.commit, "private": False, "gated": "auto", "siblings": siblings})

    def _tree(self, rest: str, query: dict[str, list[str]]) -> None:
        hub = self.hub
        revision, _, prefix = rest.partition("/")
        if not hub.resolves(revision):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return
        entries = hub.listing(prefix)
        start = int(query.get("cursor", ["0"])[0])
        page = entries[start : start + hub.page_size]
        headers: dict[str, str] = {}
        if start + hub.page_size < len(entries):
            base = f"{hub.url}/api/datasets/{hub.repo_id}/tree/{quote(revision, safe='')}"
            if prefix:
                base += "/" + quote(prefix, safe="")
            headers["Link"] = f'<{base}?recursive=True&expand=False&cursor={start + hub.page_size}>; rel="next"'
        self._json(200, page, headers)

    def _resolve(self, rest: str) -> None:
        hub = self.hub
        revision, _, rel = rest.partition("/")
        if not hub.resolves(revision):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return
        data = hub.files.get(rel)
        if data is None:
            self._error(404, "EntryNotFound", f"{rel} does not exist at {revision}")
            return
        entry = hub.entry(rel)
        etag = entry["lfs"]["oid"] if "lfs" in entry else entry["oid"]
        headers = {
            "X-Repo-Commit": hub.commit,
            "ETag": f'"{etag}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if "lfs" in entry:
            headers["X-Linked-Etag"] = f'"{etag}"'
            headers["X-Linked-Size"] = str(len(data))
        start = 0
        range_header = self.headers.get("Range")
        if range_header and range_header.startswith("bytes=") and range_header.endswith("-"):
            start = int(range_header[len("bytes=") : -1])
        if self.command == "HEAD":
            self.send_response(200)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return
        body = data[start:]
        status = 206 if start else 200
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        cut = hub.take_cut(rel)
        if cut is None:
            self._send(status, body, headers)
            return
        # promise the whole body, deliver part of it, hang up: what a dropped connection looks like
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: int(len(body) * cut)])
        self.wfile.flush()
        self.close_connection = True
