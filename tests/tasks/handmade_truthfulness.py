"""Tiny hand-made truthfulness trees (T.1–T.5, T.7) in the official layout, small enough to work the
expected scores out by hand in ``test_truthfulness.py``. Record keys are the list index (``0000`` …)."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from tests.tasks.handmade import png, unrelated_pool, write_json

T = "truthfulness"


def _rows(root: Path, query_file: str, image_dir: str, items: list[tuple[str, str]]) -> None:
    """One picture per row (``<i>.png`` under ``image_dir``), rows ``{image, query, truth}``."""
    rows = []
    for i, (query, truth) in enumerate(items):
        png(root / image_dir / f"{i}.png", (30 * i, 90, 140))
        rows.append({"image": f"{i}.png", "query": query, "truth": truth})
    write_json(root / query_file, rows)


# (query, truth) per record of each T.1 sub-dataset
T1_YES_NO = {
    "object": ("query_d_existence.json", [("Is there a cat?", "Yes"), ("Is there a dog?", "No")]),
    "attribute": ("query_d_attribute.json", [("Is the car red?", "Yes"), ("Is the car blue?", "No")]),
    "scene": ("query_d_scene.json", [("Is it night?", "Yes"), ("Is it indoors?", "No")]),
}
T1_GROUNDING = ["[0.1, 0.1, 0.5, 0.5]", "[0.5, 0.5, 0.9, 0.9]"]
T1_OCR = ["A7K", "42"]
GROUNDING_SIZE = (40, 20)


def t1_tree(root: Path) -> None:
    for name, (query_file, items) in T1_YES_NO.items():
        _rows(root, f"{T}/query_basic/{query_file}", f"{T}/basic_images/{name}", items)
    rows = []
    for i, box in enumerate(T1_GROUNDING):
        path = root / T / "basic_images" / "grounding" / f"{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", GROUNDING_SIZE, (200, 40 * i, 40)).save(path)
        rows.append({"image": f"{i}.png", "query": f"Locate object {i}.", "truth": box})
    write_json(root / T / "query_basic" / "query_g_grounding.json", rows)
    _rows(
        root,
        f"{T}/query_basic/query_g_ocr.json",
        f"{T}/basic_images/ocr",
        [("What is written on the sign?", text) for text in T1_OCR],
    )


T2_TRUTHS = {
    "spatial": ["Yes", "No"],
    "temporal": ["Yes"],
    "compare": ["No"],
    "daily": ["Yes"],
    "traffic": ["Yes", "No"],
    "causality": ["Yes"],
    "math": ["No"],
    "code": ["Yes", "Yes"],
    "translate": ["Yes"],
}


def t2_tree(root: Path) -> None:
    for kind, truths in T2_TRUTHS.items():
        _rows(
            root,
            f"{T}/query_advanced/query_d_{kind}.json",
            f"{T}/advanced_images/{kind}",
            [(f"{kind} question {i}?", t) for i, t in enumerate(truths)],
        )
    # the original loaders skip rows with an empty query: this one must not become a sample
    q = root / T / "query_advanced" / "query_d_translate.json"
    rows = json.loads(q.read_text())
    rows.append({"image": "0.png", "query": "", "truth": "No"})
    q.write_text(json.dumps(rows))


T3_FACTUAL = [("The 5 bananas... How many apples?", "3"), ("The dog... What color is the animal?", "red")]
T3_LOGIC = [("Solve the problem.", "[Analysis] 2 * 3 = 6. [Correct Answer] 6"), ("Solve it.", "[Correct Answer] 10")]


def t3_tree(root: Path) -> None:
    _rows(root, f"{T}/query_instruction/query_g_factual.json", f"{T}/instruction_images/factual", T3_FACTUAL)
    _rows(root, f"{T}/query_instruction/query_g_logic.json", f"{T}/instruction_images/logic", T3_LOGIC)
    q = root / T / "query_instruction" / "query_g_logic.json"
    q.write_text(json.dumps([*json.loads(q.read_text()), {"image": "0.png", "query": "", "truth": "1"}]))


QA = [("What is the capital of France?", "Paris"), ("How many legs has a spider?", "8"), ("Color of grass?", "green")]


def qa_tree(root: Path) -> None:
    """``query_g_assistance.json`` with an assistance and a misvisual picture per row (T.4 and T.7)."""
    _rows(root, f"{T}/query_text/query_g_assistance.json", f"{T}/text_images/assistance", QA)
    for i in range(len(QA)):
        png(root / T / "text_images" / "misvisual" / f"{i}.png", (200, 30 * i, 30))
    unrelated_pool(root)


T5 = [("What fruit is shown?", "apple"), ("What animal is shown?", "cat")]


def t5_tree(root: Path) -> None:
    _rows(root, f"{T}/query_misleading/query_g_mistext.json", f"{T}/misleading_images/mistext", T5)


def truthfulness_tree(root: Path) -> None:
    t1_tree(root)
    t2_tree(root)
    t3_tree(root)
    qa_tree(root)
    t5_tree(root)
