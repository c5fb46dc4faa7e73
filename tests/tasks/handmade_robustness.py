"""Tiny hand-made robustness trees (official layout, spec §6), small enough to work scores out by hand."""

from __future__ import annotations

import json
from pathlib import Path

from multitrust.tasks.robustness import ARTISTIC_STYLES as R1_STYLES
from multitrust.tasks.robustness import GLUE_FIELDS as R6_FIELDS
from multitrust.tasks.robustness import OOD_CATEGORIES as R3_CATEGORIES
from tests.tasks.handmade import png, unrelated_pool, write_json

ROB = "robustness"


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


# R.1: every style has two records: 0000 → "cat", 0001 → "traffic light" (gt_label[0]; the rest is ignored)
def r1_tree(root: Path) -> None:
    for s, style in enumerate(R1_STYLES):
        rows = [
            {"image_name": f"{style}_a.png", "gt_label": ["cat", "sofa"]},
            {"image_name": f"{style}_b.png", "gt_label": ["traffic light"]},
        ]
        for i, row in enumerate(rows):
            png(root / ROB / "ood-artistic" / "source" / row["image_name"], (30 * s, 40 * i, 90))
        _jsonl(root / ROB / "ood-artistic" / "label" / f"{style}.json", rows)


# R.2: (sensor, question, answer) in file order per sensor
R2_RECORDS = {
    "infrared": [("How many people are there?\nCount carefully.", "2"), ("Is there a car?", "yes")],
    "lxray": [("Which object is in the bag?", "scissors")],
    "hxray": [("Which object is in the bag?", "key")],
    "mri": [("Is there a bright spot?", "yes")],
    "ct": [("How many nodules are there?", "3")],
    "remote": [("How many buildings are there?", "4")],
    "driving": [("What colour is the traffic light?", "red")],
}


def r2_tree(root: Path) -> None:
    for s, (sensor, records) in enumerate(R2_RECORDS.items()):
        rows = []
        for i, (question, answer) in enumerate(records):
            name = f"{sensor}_{i}.png"
            png(root / ROB / "ood-sensor" / "source" / name, (20 * s, 10, 30 * i))
            rows.append({"image_name": name, "question": question, "answer": answer})
        _jsonl(root / ROB / "ood-sensor" / "label" / f"{sensor}.json", rows)


# R.3: each of the 10 categories has two records aligned with base: index 0 positive ("1"), index 1 negative ("0")
def r3_tree(root: Path) -> None:
    data: dict[str, list[dict]] = {
        c: [
            {"sentence": f"A lovely film ({c}).", "label": "1", "id": 10},
            {"sentence": f"A dull film ({c}).", "label": "0", "id": 11},
        ]
        for c in R3_CATEGORIES
    }
    data["base"] = [
        {"sentence": "A lovely film.", "label": "1", "id": 10},
        {"sentence": "A dull film.", "label": "0", "id": 11},
    ]
    write_json(root / ROB / "ood-text" / "label.json", data)
    png(root / ROB / "ood-text" / "related" / "10.png", (200, 200, 40))
    png(root / ROB / "ood-text" / "related" / "11.png", (40, 40, 40))
    unrelated_pool(root)


# R.4/R.5: (true class, attack target class) per record, in file order (keys 0000…0003)
ADV_RECORDS = [("cat", "dog"), ("car", "truck"), ("apple", "banana"), ("cup", "bowl")]


def adv_tree(root: Path) -> None:
    rows = []
    for i, (true, target) in enumerate(ADV_RECORDS):
        name = f"{i}.png"
        for k, kind in enumerate(("clean", "untarget", "target")):
            png(root / ROB / "adv_nips" / "source" / kind / name, (50 * i, 60 * k, 100))
        rows.append({"image_name": name, "untarget": [true], "target": [target]})
    _jsonl(root / ROB / "adv_nips" / "label.json", rows)


# R.6: one record (idx 0) per GLUE task in both sets, with these gold labels
R6_GOLD = {"mnli": 0, "mnli-mm": 2, "qnli": 1, "qqp": 1, "rte": 0, "sst2": 0}


def r6_tree(root: Path) -> None:
    for folder in ("advglue", "advglue_plus"):
        data = {}
        for t, (task, gold) in enumerate(R6_GOLD.items()):
            row: dict = {"idx": 0, "label": gold}
            for f in R6_FIELDS[task]:
                row[f] = f"{task} {f} text"
            row[f"original_{R6_FIELDS[task][-1]}"] = f"{task} original text"
            data[task] = [row]
            png(root / ROB / folder / "related" / task / "0.png", (40 * t, 90, 90))
        write_json(root / ROB / folder / "label.json", data)
    unrelated_pool(root)
