"""A synthetic tree with the official release's layout, built from the packaged manifest (the inventory).

Every release query file is written at its release path, in its release format (JSON array, JSON Lines
saved as ``.json``, object of lists keyed by group, object of objects, CSV, text lines) with exactly the
release's row count. The rows are the built-in generator's rows for that file (so they carry the field
names the loaders read), repeated as needed, with the fields that name an image rewritten to follow the
inventory's ``image_pattern`` for the file's group. A placeholder image (one tiny PNG, hard-linked) is put
at every path the patterns reference, plus the pools (cross-product, ``os.listdir``, unrelated images) and
the image-only folders.

:func:`build_layout` returns, per query file, the image paths the inventory's join rule gives each row, so
a test can check the loaders' joins against the rule rather than against themselves.

Not in the inventory, so taken from the built-in tree (and said so in the test's output): the category
sub-folders of the three image-only folders, and the contents of ``privacy/enron-email/five_shot.json``.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import os
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multitrust.data.builtin import build_tree
from multitrust.data.manifest import ReleaseManifest, release_manifest

#: a 2×2 PNG every placeholder path links to
PLACEHOLDER = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001649444154789c63f8cfc0f09f81e13f03c37f0600001ffe04fd6e1b9a4f0000000049454e44ae426082"
)


#: release query files no task reads (the built-in tree has none of them) → a file of the same shape
UNREAD_TEMPLATES = {
    **{
        f"truthfulness/query_misleading/query_d_{kind}.json": "truthfulness/query_misleading/query_d_confusion.json"
        for kind in ("contrast", "dislocation", "mirror", "painting", "semantic")
    },
    "truthfulness/query_text/query_g_misvisual.json": "truthfulness/query_text/query_g_assistance.json",
    "privacy/vizwiz-priv/Annotations/Vizwiz-Priv-QA-Private.json": (
        "privacy/vizwiz-priv/Annotations/Vizwiz-Priv-Recognition.json"
    ),
}


@dataclass
class Layout:
    root: Path
    manifest: ReleaseManifest
    #: query file → per row, the image paths the inventory's rule gives it (empty for rows without images)
    refs: dict[str, list[list[str]]] = field(default_factory=dict)
    #: paths not taken from the inventory, with where they came from
    borrowed: dict[str, str] = field(default_factory=dict)
    #: images of pools no row names (cross-product, ``os.listdir``, unrelated images, image-only folders)
    pools: set[str] = field(default_factory=set)


def _parse(data: bytes, fmt: str) -> list[tuple[str | None, Any]]:
    """Rows of a file as (group, row) pairs; group is the object key for object-shaped formats."""
    text = data.decode("utf-8-sig")
    if fmt == "json-array":
        return [(None, r) for r in json.loads(text)]
    if fmt in ("jsonl", "jsonl-as-json"):
        return [(None, json.loads(line)) for line in text.splitlines() if line.strip()]
    if fmt == "json-object-of-lists":
        return [(g, r) for g, rows in json.loads(text).items() for r in rows]
    if fmt == "json-object-of-objects":
        return [(k, r) for k, r in json.loads(text).items()]
    if fmt == "csv":
        return [(None, r) for r in csv.DictReader(io.StringIO(text, newline=""))]
    if fmt == "txt-lines":
        return [(None, line) for line in text.splitlines() if line.strip()]
    raise ValueError(fmt)


def _dump(rows: list[tuple[str | None, Any]], fmt: str, fieldnames: list[str] | None) -> bytes:
    if fmt == "json-array":
        return json.dumps([r for _, r in rows], indent=1, ensure_ascii=False).encode()
    if fmt in ("jsonl", "jsonl-as-json"):
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for _, r in rows).encode()
    if fmt == "json-object-of-lists":
        groups: dict[str, list[Any]] = {}
        for g, r in rows:
            groups.setdefault(str(g), []).append(r)
        return json.dumps(groups, indent=1, ensure_ascii=False).encode()
    if fmt == "json-object-of-objects":
        return json.dumps({str(k): r for k, r in rows}, indent=1, ensure_ascii=False).encode()
    if fmt == "csv":
        buf = io.StringIO(newline="")
        writer = csv.DictWriter(buf, fieldnames=fieldnames or [])
        writer.writeheader()
        for _, r in rows:
            writer.writerow(r)
        return buf.getvalue().encode()
    if fmt == "txt-lines":
        return "".join(str(r) + "\n" for _, r in rows).encode()
    raise ValueError(fmt)


def _names(manifest: ReleaseManifest, folder: str) -> list[str]:
    """Real file names of a folder the inventory lists completely (sorted), else []."""
    return sorted(
        p[len(folder) + 1 :] for p in manifest.images if p.startswith(folder + "/") and "/" not in p[len(folder) + 1 :]
    )


_SIMPLE = re.compile(r"^(?P<dir>.+)/\{(?P<field>[^}()]+)\}$")


def _synth(
    group: dict[str, Any], qpath: str, template: list[tuple[str | None, Any]], n: int, start: int, m: ReleaseManifest
):
    """``n`` rows for ``qpath`` (``start``: rows of this group's earlier files) and each row's image refs."""
    name = group["name"]
    patterns: list[str] = group["image_pattern"]
    distinct = max(int(group.get("distinct_images") or 0), 1)
    rows: list[tuple[str | None, Any]] = []
    refs: list[list[str]] = []
    for i in range(n):
        g, base = template[i % len(template)]
        row = copy.deepcopy(base)
        if isinstance(row, dict):
            _uniquify(row, i)
        k = (start + i) % distinct
        if name == "real_toxicity_prompts":
            row = f"{row} (variant {i})"
            refs.append([f"safety/real_toxicity_prompt/images/{g}_{hashlib.md5(row.encode()).hexdigest()}.png"])
        elif name in ("advglue", "advglue_plus"):
            row["idx"] = i
            refs.append([f"{group['image_dirs'][0]}/{g}/{i}.png"])
        elif name == "ood_text":
            row["id"] = k
            refs.append([f"robustness/ood-text/related/{k}.png"])
        elif name == "celebrity_recognition":
            files = _names(m, "privacy/celeb/imgs")
            stem = files[k % len(files)].removesuffix(".jpeg")
            row["Celebrity"] = stem.replace("_", " ")
            refs.append([f"privacy/celeb/imgs/{stem}.jpeg"])
        elif name == "stereo_statement":
            row["Number"] = str(i + 1)
            refs.append([f"fairness/stereo_images/{str(row['Type']).lower()}/{i + 1}.png"])
        elif name == "stereo_classification":
            row["Number"] = str(k + 1)
            refs.append([f"fairness/stereo_classification_images/{k + 1}.png"])
        elif name == "vispr_leakage":
            row["Img Path"] = f"{k:04d}.png"
            refs.append([f"privacy/vispr/categorized/{row['SheetName']}/{k:04d}.png"])
        elif name == "misleading_confusion":
            subs = [d.rsplit("/", 1)[1] for d in group["image_subdirs_used"]]
            kind = subs[k % len(subs)]
            row["kind"], row["image"] = kind, f"{kind}/c{k:03d}.png"
            refs.append([f"truthfulness/misleading_images/{kind}/c{k:03d}.png"])
        elif name == "confaide":
            refs.append([f"privacy/confaide/imgs/{i % 14}.png"])
        elif name == "subjective_preference":
            paths = [f"fairness/subjective_choice_images/choice_{c}_images/{i % 120 + 1}.png" for c in "ab"]
            refs.append(([f"fairness/vision_subjective_choice_images/{i + 1}.png"] if i < 120 else []) + paths)
        elif patterns and all(_SIMPLE.match(p) for p in patterns):
            fields = {_SIMPLE.match(p)["field"] for p in patterns}  # type: ignore[index]
            assert len(fields) == 1, (name, patterns)
            key = fields.pop()
            real = _names(m, patterns[0].rsplit("/", 1)[0])
            ext = EXT.get(name) or _ext(row.get(key))
            value = real[k % len(real)] if real else f"{k:04d}{ext}"
            row[key] = value
            refs.append([p.replace("{" + key + "}", value) for p in patterns])
        else:
            refs.append([])
        rows.append((g, row))
    if group.get("parse", {}).get("container", "").startswith("object whose keys are groups"):
        # the file is an object of groups: rows of one group sit together, in order of first appearance
        order = {g: j for j, (g, _) in reversed(list(enumerate(rows)))}
        ranked = sorted(range(n), key=lambda i: (order[rows[i][0]], i))
        rows, refs = [rows[i] for i in ranked], [refs[i] for i in ranked]
    return rows, refs


#: image suffixes the inventory states where the built-in rows differ (VizWiz-Priv: the spot-checked images
#: are PNG, and ``image_refs_missing`` is 0 with the ``{image}`` pattern)
EXT = {"vizwiz_recognition": ".png", "vizwiz_private_qa": ".png"}
#: columns the release's file lacks though the built-in file has them (spec: stereo_query.csv has only
#: ``question``; its rows pair with images by ``os.listdir``)
DROP_COLUMNS = {
    "fairness/stereo_query.csv": ("image",),
    # plain and force prompts are told apart by position (first 120 / last 120) as the original does; the
    # ``kind`` field is the built-in generator's
    "fairness/preference.json": ("kind",),
}


def _usable(group: str, template: list[tuple[str | None, Any]]) -> list[tuple[str | None, Any]]:
    """Template rows, minus the built-in generator's deliberately flawed ones (it plants a few to test the
    loaders' skips; the release's counts are of real rows)."""
    if group == "profession_prediction":
        flags = ("gender_presentation_", "age_presentation_", "skin_tone_")
        return [
            (g, r)
            for g, r in template
            if all(sum(int(v == "1") for c, v in r.items() if c.startswith(f)) == 1 for f in flags)
        ]
    return template


def _ext(value: Any) -> str:
    suffix = Path(str(value or "")).suffix
    return suffix if suffix else ".png"


def _uniquify(row: dict[str, Any], i: int) -> None:
    """Keep per-row ids unique when template rows repeat (some loaders key records by them)."""
    for key in ("id", "question_id", "qid"):
        if key in row:
            row[key] = str(i) if isinstance(row[key], str) else i


def _place(root: Path, rel: str, source: Path) -> None:
    p = root / rel
    if p.exists():
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, p)
    except OSError:
        shutil.copyfile(source, p)


def build_layout(root: Path, work: Path) -> Layout:
    m = release_manifest()
    builtin = work / "builtin"
    if not (builtin / "MANIFEST.json").is_file():
        build_tree(builtin, seed=0)
    layout = Layout(root, m)
    root.mkdir(parents=True, exist_ok=True)
    placeholder = work / "placeholder.png"
    placeholder.write_bytes(PLACEHOLDER)
    done: set[str] = set()
    for group in m.groups:
        start = 0
        for qpath in group["query_files"]:
            q = m.query_files[qpath]
            if q.rows is None or qpath in done:
                continue
            tpl_path = builtin / qpath
            if not tpl_path.is_file():  # read by no task, so the built-in tree lacks it: a sibling's rows
                tpl_path = builtin / UNREAD_TEMPLATES[qpath]
                layout.borrowed[qpath] = f"rows shaped like {UNREAD_TEMPLATES[qpath]} (no task reads this file)"
            tpl_bytes = tpl_path.read_bytes()
            template = _parse(tpl_bytes, q.format)
            fieldnames = next(csv.reader(io.StringIO(tpl_bytes.decode("utf-8-sig")))) if q.format == "csv" else None
            template = _usable(group["name"], template)
            drop = DROP_COLUMNS.get(qpath, ())
            if drop:
                fieldnames = [c for c in fieldnames or [] if c not in drop]
                template = [(g, {k: v for k, v in r.items() if k not in drop}) for g, r in template]
            rows, refs = _synth(group, qpath, template, q.rows, start, m)
            if q.format == "json-object-of-objects":  # the object key is the row id: keep it unique
                rows = [(str(i), r) for i, (_, r) in enumerate(rows)]
            start += q.rows
            (root / qpath).parent.mkdir(parents=True, exist_ok=True)
            (root / qpath).write_bytes(_dump(rows, q.format, fieldnames))
            layout.refs[qpath] = refs
            done.add(qpath)
            for row_refs in refs:
                for ref in row_refs:
                    _place(root, ref, placeholder)
        for pool in group.get("pool_dirs", []):
            folder = m.folders[pool]
            listed = next((f.get("unreferenced_paths") for f in m.data["folders"] if f["path"] == pool), None)
            names = [p.rsplit("/", 1)[1] for p in listed] if listed else [f"{j}.png" for j in range(folder["files"])]
            for name in names:
                _place(root, f"{pool}/{name}", placeholder)
                layout.pools.add(f"{pool}/{name}")
    # companions (ConfAIde's labels: one line per prompt line)
    for q in m.query_files.values():
        if q.companion_of and q.path not in done:
            tpl = _parse((builtin / q.path).read_bytes(), q.format)
            n = m.query_files[q.companion_of].rows or 0
            (root / q.path).write_bytes(_dump([tpl[i % len(tpl)] for i in range(n)], q.format, None))
    # the unrelated pool, with its real names
    for name in _names(m, "unrelated_images"):
        _place(root, f"unrelated_images/{name}", placeholder)
        layout.pools.add(f"unrelated_images/{name}")
    # image-only folders: the inventory gives file counts, the built-in tree the category sub-folders
    for f in m.data["image_only_folders"]:
        subdirs = sorted(p.name for p in (builtin / f["path"]).iterdir() if p.is_dir())
        for j in range(f["files"]):
            sub = f"{subdirs[j % len(subdirs)]}/" if subdirs else ""
            _place(root, f"{f['path']}/{sub}{j + 1}.png", placeholder)
            layout.pools.add(f"{f['path']}/{sub}{j + 1}.png")
        if subdirs:
            layout.borrowed[f["path"]] = f"category folders {', '.join(subdirs)} from the built-in tree"
    # non-query files a task reads
    for rel in ("privacy/enron-email/five_shot.json",):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(builtin / rel, root / rel)
        layout.borrowed[rel] = "contents from the built-in tree (the inventory lists its size only)"
    (root / ".gitattributes").write_text("*.png filter=lfs diff=lfs merge=lfs -text\n", encoding="utf-8")
    return layout


def refs_by_file(layout: Layout) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for q, rows in layout.refs.items():
        for r in rows:
            out[q].update(r)
    return out
