"""Data trees (official or built-in, same layout), image helpers and unrelated-image pools."""

from multitrust.data.tree import DataTree

__all__ = ["DataTree"]
