"""multitrust: the MultiTrust trustworthiness benchmark for multimodal LLMs, as resumable, reproducible software."""

__version__ = "0.1.0"
