"""Per-document values for filters, facets and date order, kept as columns.

A segment never changes, so its values are read from its stored fields once
(:class:`SegmentColumns`, kept by the index); a searcher's :class:`Columns` put its segments'
values together without the deleted documents. Facet values are counted with NumPy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from archive.index.schema import FILTERS


class SegmentColumns:
    """One segment's per-document values (deleted documents included), read from its stored
    fields once: a segment never changes, so after a catch-up only the new one is read.

    ``doctype``, ``date`` and ``key`` are lists by the segment's document numbers (undated: "");
    ``values`` holds each filter's values of every document; ``facets`` the same as arrays.
    """

    def __init__(self, reader: Any) -> None:
        size = int(reader.doc_count_all())
        self.doctype, self.date, self.key = [""] * size, [""] * size, [""] * size
        self.values: dict[str, list[tuple[str, ...]]] = {name: [()] * size for name in FILTERS}
        values = self.values
        for docnum in range(size):
            stored = reader.stored_fields(docnum)
            self.doctype[docnum] = stored.get("doctype", "")
            self.date[docnum] = date = stored.get("date") or ""
            self.key[docnum] = stored.get("key", "")
            values["kind"][docnum] = (stored["kind"],) if stored.get("kind") else ()
            values["year"][docnum] = (date[:4],) if date else ()
            for name, stored_name in (
                ("demand", "demand"),
                ("lang", "lang"),
                ("district", "district_keys"),
            ):
                raw = stored.get(stored_name) or ""
                values[name][docnum] = tuple(v for v in raw.split(",") if v)
        self.facets = {name: _Facet.of(values[name]) for name in FILTERS}


class Columns:
    """Per-document values of one searcher, for filters, facets and date order: its segments'
    values (kept by the index) put together, without deleted documents.

    ``doctype``, ``date``, ``key`` and each filter's ``values`` are dicts by the searcher's
    document numbers; ``size`` counts the searcher's documents, deleted ones included.
    """

    def __init__(self, searcher: Any, segments: dict[str, SegmentColumns]) -> None:
        self.doctype: dict[int, str] = {}
        self.values: dict[str, dict[int, tuple[str, ...]]] = {f: {} for f in FILTERS}
        self.date: dict[int, str] = {}
        self.key: dict[int, str] = {}
        self.cache: dict[tuple[str, str], frozenset[int]] = {}
        self.by_key: npt.NDArray[np.int64] | None = None  # made at the first ranking
        self.size = int(searcher.doc_count_all())
        facets: dict[str, list[tuple[_Facet, int, npt.NDArray[np.bool_]]]] = {
            name: [] for name in FILTERS
        }
        current = set()
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            segment_id = reader.segment().segment_id()
            current.add(segment_id)
            if segment_id not in segments:
                segments[segment_id] = SegmentColumns(reader)
            part = segments[segment_id]
            live = np.ones(len(part.key), dtype=bool)
            live[list(reader.deleted_docs_set)] = False
            local = np.flatnonzero(live).tolist()
            docnums = [offset + docnum for docnum in local]
            for mine, theirs in ((self.doctype, part.doctype), (self.date, part.date)):
                mine.update(zip(docnums, map(theirs.__getitem__, local), strict=True))
            self.key.update(zip(docnums, map(part.key.__getitem__, local), strict=True))
            for name in FILTERS:
                values = map(part.values[name].__getitem__, local)
                self.values[name].update(zip(docnums, values, strict=True))
                facets[name].append((part.facets[name], offset, live))
        for gone in set(segments) - current:
            del segments[gone]
        self.facets = {name: _Facet.combined(parts) for name, parts in facets.items()}

    def key_order(self) -> npt.NDArray[np.int64]:
        """Return each document's place in key order: an array of ``size`` by document number
        (0 at a deleted document), made at the first ranking that needs it."""
        if self.by_key is None:
            self.by_key = np.zeros(self.size, dtype=np.int64)
            ordered = sorted(self.key, key=self.key.__getitem__)
            self.by_key[ordered] = np.arange(len(ordered))
        return self.by_key

    def having(self, name: str, value: str) -> frozenset[int]:
        """Return the documents whose ``name`` ("doctype" or a filter of FILTERS) includes
        ``value``, as document numbers (a set kept for the searcher's life)."""
        if (name, value) not in self.cache:
            if name == "doctype":
                found = frozenset(d for d, t in self.doctype.items() if t == value)
            else:
                found = frozenset(d for d, vs in self.values[name].items() if value in vs)
            self.cache[name, value] = found
        return self.cache[name, value]

    def dated(self, start: str | None, end: str | None) -> frozenset[int]:
        """Return the documents whose date overlaps ``start``..``end``, as document numbers
        (a set kept for the searcher's life).

        Dates are ISO dates of any precision (2022, 2022-09, 2022-09-30), each standing for
        its whole year, month or day; None leaves that end open. Undated documents are left out.
        """
        cache_key = ("date", f"{start}..{end}")
        if cache_key not in self.cache:
            low, high = start or "", f"{end}~" if end else "~"
            self.cache[cache_key] = frozenset(
                d for d, date in self.date.items() if date and f"{date}~" >= low and date <= high
            )
        return self.cache[cache_key]

    def count(self, docnums: Iterable[int]) -> dict[str, dict[str, int]]:
        """Count facet values over the given document numbers: {facet: {value: documents}},
        each facet's values in name order, without values of no document."""
        chosen = mask(docnums, self.size)
        return {name: facet.count(chosen) for name, facet in self.facets.items()}


class _Facet:
    """One facet's values of every document as arrays, counted over any documents at once
    (in Python, counting the values of 15,000 documents took 45 ms)."""

    def __init__(
        self, names: list[str], docs: npt.NDArray[np.int64], codes: npt.NDArray[np.int64]
    ) -> None:
        self.names, self.docs, self.codes = names, docs, codes

    @classmethod
    def of(cls, values: list[tuple[str, ...]]) -> _Facet:
        """Return the facet of documents' values, listed by document number."""
        names = sorted({value for found in values for value in found})
        code = {name: number for number, name in enumerate(names)}
        pairs = [(docnum, code[value]) for docnum, found in enumerate(values) for value in found]
        docs = np.array([docnum for docnum, _code in pairs], dtype=np.int64)
        return cls(names, docs, np.array([number for _docnum, number in pairs], dtype=np.int64))

    @classmethod
    def combined(cls, parts: list[tuple[_Facet, int, npt.NDArray[np.bool_]]]) -> _Facet:
        """Return segments' facets as one: each (facet, offset of its documents, live ones)."""
        names = sorted(set().union(*(facet.names for facet, _offset, _live in parts)))
        code = {name: number for number, name in enumerate(names)}
        docs, codes = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for facet, offset, live in parts:
            kept = live[facet.docs]
            recoded = np.array([code[name] for name in facet.names] or [0], dtype=np.int64)
            docs.append(facet.docs[kept] + offset)
            codes.append(recoded[facet.codes[kept]])
        return cls(names, np.concatenate(docs), np.concatenate(codes))

    def count(self, chosen: npt.NDArray[np.bool_]) -> dict[str, int]:
        """Count the values of the documents ``chosen`` marks."""
        counts = np.bincount(self.codes[chosen[self.docs]], minlength=len(self.names))
        return {self.names[number]: int(counts[number]) for number in np.flatnonzero(counts)}


def mask(docnums: Iterable[int], size: int) -> npt.NDArray[np.bool_]:
    """Return a boolean array of ``size`` that is True at the given document numbers (each
    below ``size``, else IndexError)."""
    marked = np.zeros(size, dtype=bool)
    marked[np.fromiter(docnums, dtype=np.int64)] = True
    return marked
