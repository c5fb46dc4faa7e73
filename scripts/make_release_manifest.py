"""Write ``src/multitrust/data/release_manifest.json`` from the measured inventory of the official release.

The inventory (``multitrust_release.json``: paths, sizes, SHA-256, row counts and join rules of the gated
``thu-ml/MultiTrust`` dataset at one revision) is metadata only; this keeps the subset ``multitrust data
fetch/check/bundle`` and the layout-conformance test need, in a stable order, so a re-run on the same
inventory writes the same bytes.

    python scripts/make_release_manifest.py /path/to/multitrust_release.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "multitrust" / "data" / "release_manifest.json"

GROUP_KEYS = (
    "name",
    "aspect",
    "query_files",
    "image_dirs",
    "pool_dirs",
    "image_subdirs_used",
    "image_roles",
    "join",
    "image_pattern",
    "rows",
    "image_refs",
    "distinct_images",
    "parse",
)


FOLDER_KEYS = ("path", "files", "bytes", "files_referenced", "used_by_tasks", "unreferenced_paths")


def build(inventory: dict, source_sha256: str) -> dict:
    query_files = [
        {k: q[k] for k in ("path", "bytes", "sha256", "format", "rows", "companion_of") if k in q}
        for q in sorted(inventory["query_files"], key=lambda q: q["path"])
    ]
    groups = []
    for t in inventory["tasks"]:
        g = {k: t[k] for k in GROUP_KEYS if k in t}
        g["globs"] = list(t["download"]["globs"])
        g["bytes_whole_folders"] = t["download"]["bytes_whole_folders"]
        groups.append(g)
    return {
        "schema": 1,
        "dataset": inventory["dataset"],
        "revision": inventory["revision"],
        "generated_from": {
            "file": "multitrust_release.json (measured inventory of the public release; facts only)",
            "sha256": source_sha256,
            "checked_on": inventory.get("checked_on"),
        },
        "files_total": inventory["files_total"],
        "bytes_total": inventory["bytes_total"],
        "query_files": query_files,
        "groups": groups,
        "image_only_folders": [
            {"path": f["path"], "files": f["files"], "bytes": f["bytes"], "glob": f["download_glob"]}
            for f in inventory["image_only_folders"]
        ],
        "folders": [
            {
                k: f[k]
                for k in ("path", "files", "bytes", "files_referenced", "used_by_tasks", "unreferenced_paths")
                if k in f
            }
            for f in sorted(inventory["folders"], key=lambda f: f["path"])
        ],
        "other_files": sorted(inventory["other_files"]["listed"], key=lambda f: f["path"]),
        "images": sorted(
            ({"path": i["path"], "bytes": i["bytes"], "sha256": i["sha256"]} for i in inventory["images"]),
            key=lambda i: i["path"],
        ),
        "images_note": "bytes and SHA-256 of the images of the folders the inventory lists completely; "
        "other folders have file and byte totals only",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    raw = args.inventory.read_bytes()
    manifest = build(json.loads(raw), hashlib.sha256(raw).hexdigest())
    args.out.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(manifest['query_files'])} query files, {len(manifest['groups'])} groups)")


if __name__ == "__main__":
    main()
