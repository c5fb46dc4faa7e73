"""Error types. Every user-facing error renders as one line that names what is wrong and where."""

from __future__ import annotations


class MultitrustError(Exception):
    """Base class: ``str(err)`` is a complete one-line message for the user."""


class SpecError(MultitrustError):
    """A model/judge spec string or a CLI selector (task id, aspect) is malformed or unknown."""


class DataError(MultitrustError):
    """A data file is missing or malformed. The message names the file (and the record, when known)."""

    def __init__(self, message: str, *, path: str | None = None, record: str | None = None) -> None:
        where = ""
        if path:
            where = f"{path}"
            if record is not None:
                where += f" [{record}]"
            where += ": "
        super().__init__(f"{where}{message}")
        self.message = message
        self.path = path
        self.record = record


class StoreError(MultitrustError):
    """The run directory cannot be used (e.g. it holds a run with a different model)."""


class ModelCallError(MultitrustError):
    """A model request failed for good after its retries. Stored as an error, never as response text."""

    def __init__(self, message: str, *, attempts: int = 1, retryable: bool = False, cause: str | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.retryable = retryable
        #: the server's error when the same request would get it again (a 4xx, a 5xx without Retry-After),
        #: one line; None for transient failures. Replica pools do not try it on every replica.
        self.cause = cause
