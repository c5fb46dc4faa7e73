"""The MultiTrust taxonomy: 5 aspects, 10 sub-aspects, 32 tasks (spec §0 and §8).

It lives in ``core`` because both the task definitions and the report's aggregation need it, and the
report layer may not import ``tasks``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TaskInfo:
    id: str
    name: str
    aspect: str
    subaspect: str


@dataclass(frozen=True, slots=True)
class SubAspect:
    key: str
    name: str
    aspect: str
    code: str
    #: task id → weight; weights sum to 1 (only privacy awareness is not uniform)
    weights: tuple[tuple[str, float], ...]


ASPECTS: tuple[str, ...] = ("truthfulness", "safety", "robustness", "fairness", "privacy")

TASKS: tuple[TaskInfo, ...] = (
    TaskInfo("T.1", "Basic world understanding", "truthfulness", "inherent_deficiency"),
    TaskInfo("T.2", "Advanced cognitive inference", "truthfulness", "inherent_deficiency"),
    TaskInfo("T.3", "VQA under instruction enhancement", "truthfulness", "inherent_deficiency"),
    TaskInfo("T.4", "QA under visual assistance", "truthfulness", "inherent_deficiency"),
    TaskInfo("T.5", "Text-misleading VQA", "truthfulness", "misguided_mistakes"),
    TaskInfo("T.6", "Visual-confusion VQA", "truthfulness", "misguided_mistakes"),
    TaskInfo("T.7", "Visual-misleading QA", "truthfulness", "misguided_mistakes"),
    TaskInfo("S.1", "Risk identification", "safety", "toxicity"),
    TaskInfo("S.2", "NSFW image description", "safety", "toxicity"),
    TaskInfo("S.3", "Toxic content generation", "safety", "toxicity"),
    TaskInfo("S.4", "Plain typographic jailbreaking", "safety", "jailbreaking"),
    TaskInfo("S.5", "Optimized multimodal jailbreaking", "safety", "jailbreaking"),
    TaskInfo("S.6", "Cross-modal influence on jailbreaking", "safety", "jailbreaking"),
    TaskInfo("R.1", "OOD artistic-style VQA", "robustness", "ood"),
    TaskInfo("R.2", "OOD sensor-style VQA", "robustness", "ood"),
    TaskInfo("R.3", "Sentiment analysis of OOD text", "robustness", "ood"),
    TaskInfo("R.4", "Captioning under untargeted attack", "robustness", "adversarial"),
    TaskInfo("R.5", "Captioning under targeted attack", "robustness", "adversarial"),
    TaskInfo("R.6", "Textual adversarial attack", "robustness", "adversarial"),
    TaskInfo("F.1", "Stereotype content detection", "fairness", "stereotype"),
    TaskInfo("F.2", "Agreement on stereotypes", "fairness", "stereotype"),
    TaskInfo("F.3", "Classification of stereotypes", "fairness", "stereotype"),
    TaskInfo("F.4", "Stereotype query test", "fairness", "stereotype"),
    TaskInfo("F.5", "Preference selection in VQA", "fairness", "bias_preference"),
    TaskInfo("F.6", "Profession prediction", "fairness", "bias_preference"),
    TaskInfo("F.7", "Preference selection in QA", "fairness", "bias_preference"),
    TaskInfo("P.1", "Visual privacy recognition", "privacy", "privacy_awareness"),
    TaskInfo("P.2", "Privacy-sensitive QA recognition", "privacy", "privacy_awareness"),
    TaskInfo("P.3", "InfoFlow expectation", "privacy", "privacy_awareness"),
    TaskInfo("P.4", "PII query with visual cues", "privacy", "privacy_leakage"),
    TaskInfo("P.5", "Privacy leakage in vision", "privacy", "privacy_leakage"),
    TaskInfo("P.6", "PII leakage in conversations", "privacy", "privacy_leakage"),
)


def _uniform(*ids: str) -> tuple[tuple[str, float], ...]:
    return tuple((i, 1.0 / len(ids)) for i in ids)


SUBASPECTS: tuple[SubAspect, ...] = (
    SubAspect(
        "inherent_deficiency",
        "Inherent deficiency",
        "truthfulness",
        "I",
        _uniform("T.1", "T.2", "T.3", "T.4"),
    ),
    SubAspect("misguided_mistakes", "Misguided mistakes", "truthfulness", "M", _uniform("T.5", "T.6", "T.7")),
    SubAspect("toxicity", "Toxicity", "safety", "T", _uniform("S.1", "S.2", "S.3")),
    SubAspect("jailbreaking", "Jailbreaking", "safety", "J", _uniform("S.4", "S.5", "S.6")),
    SubAspect("ood", "Out-of-distribution", "robustness", "O", _uniform("R.1", "R.2", "R.3")),
    SubAspect("adversarial", "Adversarial attack", "robustness", "A", _uniform("R.4", "R.5", "R.6")),
    SubAspect("stereotype", "Stereotype", "fairness", "S", _uniform("F.1", "F.2", "F.3", "F.4")),
    SubAspect("bias_preference", "Bias & preference", "fairness", "B", _uniform("F.5", "F.6", "F.7")),
    SubAspect("privacy_awareness", "Privacy awareness", "privacy", "A", (("P.1", 0.4), ("P.2", 0.3), ("P.3", 0.3))),
    SubAspect("privacy_leakage", "Privacy leakage", "privacy", "L", _uniform("P.4", "P.5", "P.6")),
)

TASK_BY_ID: dict[str, TaskInfo] = {t.id: t for t in TASKS}
SUBASPECT_BY_KEY: dict[str, SubAspect] = {s.key: s for s in SUBASPECTS}

_TASK_RANK: dict[str, int] = {t.id: i for i, t in enumerate(TASKS)}


def in_task_order(task_ids: Iterable[str]) -> list[str]:
    """``task_ids`` (deduplicated) in the paper's order — T, S, R, F, P, then by number — so every table
    lists tasks the same way; ids outside the taxonomy go last, sorted."""
    return sorted(dict.fromkeys(task_ids), key=lambda t: (_TASK_RANK.get(t, len(_TASK_RANK)), t))
