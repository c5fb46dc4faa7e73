"""Chat model adapters behind one async interface, selected by a spec string."""

from multitrust.models.base import ChatModel
from multitrust.models.spec import ModelSpec, load_model, parse_model_spec

__all__ = ["ChatModel", "ModelSpec", "load_model", "parse_model_spec"]
