"""Built-in safety data (official layout, spec §6), generated deterministically from the build seed."""

from __future__ import annotations

from collections.abc import Callable

from multitrust.data.builtin import BuildContext

#: task id → builder (merged into ``multitrust.data.builtin.BUILDERS``)
BUILDERS: dict[str, Callable[[BuildContext], None]] = {}
