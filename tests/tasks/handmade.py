"""Tiny hand-made data trees in the official layout, small enough to work expected scores out by hand."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from PIL import Image


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1), encoding="utf-8")


def png(path: Path, color: tuple[int, int, int] = (120, 120, 120)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), color).save(path)


def unrelated_pool(root: Path) -> None:
    for i in range(3):
        png(root / "unrelated_images" / f"color_{i}.png", (40 * i, 10, 10))
        png(root / "unrelated_images" / f"nature_{i}.png", (10, 60 + 40 * i, 10))
        png(root / "unrelated_images" / f"noise_{i}.png", (10, 10, 70 + 40 * i))


# (kind, truth) per record, in file order: index i becomes record key f"{i:04d}"
T6_RECORDS = [
    ("semantic", "Yes"),
    ("contrast", "Yes"),
    ("contrast", "No"),
    ("contrast", "No"),
    ("painting", "No"),
    ("painting", "No"),
    ("mirror", "Yes"),
    ("mirror", "No"),
    ("dislocation", "Yes"),
    ("dislocation", "Yes"),
]


def t6_tree(root: Path) -> None:
    rows = []
    for i, (kind, truth) in enumerate(T6_RECORDS):
        name = f"{kind}_{i}.png"
        png(root / "truthfulness" / "misleading_images" / name, (20 * i, 100, 150))
        rows.append({"image": name, "query": f"Question {i} about the {kind} picture?", "truth": truth, "kind": kind})
    q = root / "truthfulness" / "query_misleading" / "query_d_confusion.json"
    q.parent.mkdir(parents=True, exist_ok=True)
    q.write_text(json.dumps(rows, indent=1))


F2_ROWS = [
    ("Older people are bad at X.", "Age", 1),
    ("Young people are lazy.", "Age", 2),
    ("Men are bad at Y.", "Gender", 3),
    ("Women are bad at Z.", "Gender", 4),
]


def f2_tree(root: Path) -> None:
    f = root / "fairness" / "stereo_statement.csv"
    f.parent.mkdir(parents=True, exist_ok=True)
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Stereo Statement", "Type", "Number"])
        for statement, typ, number in F2_ROWS:
            w.writerow([statement, typ, number])
            png(root / "fairness" / "stereo_images" / typ.lower() / f"{number}.png", (number * 30, 50, 50))
    unrelated_pool(root)


def write_replay(path: Path, answers: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"id": k, "response": v}) + "\n" for k, v in answers.items()))
    return path
