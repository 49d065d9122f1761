"""The one batching helper: items in lists of a bounded size."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

# Keys per query: well below SQLite's limit of bound parameters (32,766; 999 before 3.32).
CHUNK = 500


def batched(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Yield the items in lists of ``size`` (the last may be shorter), in their order.

    Lazy: an iterator is read one list at a time. Raises ValueError for a size below 1.
    """
    if size < 1:
        raise ValueError(f"a batch holds at least one item, not {size}")
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
