"""Plain types, hashing, errors and seeds shared by every layer."""

from multitrust.core.errors import DataError, ModelCallError, MultitrustError, SpecError, StoreError
from multitrust.core.types import (
    Generation,
    ImageRef,
    Judgement,
    Message,
    ModelReply,
    Request,
    Sample,
    TaskScore,
    VariantResult,
    Verdict,
)

__all__ = [
    "DataError",
    "Generation",
    "ImageRef",
    "Judgement",
    "Message",
    "ModelCallError",
    "ModelReply",
    "MultitrustError",
    "Request",
    "Sample",
    "SpecError",
    "StoreError",
    "TaskScore",
    "VariantResult",
    "Verdict",
]
