"""The district tree held in memory: parents, children, ancestors and subtrees.

The tree is small (thousands of districts at most), so it is read whole in one query and
walked here, rather than asked of the database one district at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

# How siblings are ordered: by name (then key), or by key.
SIBLING_ORDERS = ("name", "key")


@dataclass
class DistrictNode:
    """One district: its identity, its place in the tree and its children."""

    id: int
    key: str
    name: str
    kind: str
    parent_id: int | None
    children: list[DistrictNode] = field(default_factory=list)

    def sort_key(self, order: str) -> tuple[str, ...]:
        """Return what this district is sorted on among its siblings."""
        return (self.key,) if order == "key" else (self.name.casefold(), self.key)


class DistrictTree:
    """Every district, linked to its parent and children."""

    def __init__(self, nodes: Iterable[DistrictNode]) -> None:
        self.by_id = {node.id: node for node in nodes}
        self.by_key = {node.key: node for node in self.by_id.values()}
        self.roots: list[DistrictNode] = []
        for node in self.by_id.values():
            parent = self.by_id.get(node.parent_id) if node.parent_id is not None else None
            (parent.children if parent is not None else self.roots).append(node)

    def ancestors(self, node: DistrictNode) -> list[DistrictNode]:
        """Return the districts above ``node``, the top one first."""
        chain: list[DistrictNode] = []
        current = self.by_id.get(node.parent_id) if node.parent_id is not None else None
        while current is not None and current is not node and current not in chain:
            chain.append(current)
            current = self.by_id.get(current.parent_id) if current.parent_id is not None else None
        return chain[::-1]

    def lineage(self, key: str) -> list[str]:
        """Return a district's key and its ancestors' keys, nearest first (the key alone for a
        district not stored)."""
        node = self.by_key.get(key)
        if node is None:
            return [key]
        return [key, *(above.key for above in reversed(self.ancestors(node)))]

    def parent_key(self, key: str) -> str | None:
        """Return the key of a district's parent (None at the top, or for a district not
        stored)."""
        lineage = self.lineage(key)
        return lineage[1] if len(lineage) > 1 else None

    def subtree_ids(self, node: DistrictNode) -> list[int]:
        """Return the ids of ``node`` and of every district below it."""
        return [below.id for below, _depth in self.walk([node], "key")]

    def walk(
        self, nodes: Iterable[DistrictNode] | None = None, order: str = "name"
    ) -> Iterator[tuple[DistrictNode, int]]:
        """Yield each district below ``nodes`` (default: the roots) with its depth, depth first."""
        seen: set[int] = set()
        tops = self.roots if nodes is None else nodes
        stack = [(node, 0) for node in sorted(tops, key=lambda n: n.sort_key(order), reverse=True)]
        while stack:
            node, depth = stack.pop()
            if node.id in seen:  # a cycle would otherwise walk for ever
                continue
            seen.add(node.id)
            yield node, depth
            children = sorted(node.children, key=lambda n: n.sort_key(order), reverse=True)
            stack.extend((child, depth + 1) for child in children)
