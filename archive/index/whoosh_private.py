"""Every use the archive makes of Whoosh's private parts, pinned to the Whoosh they were read in.

The archive reads a few things Whoosh keeps to itself, each for speed that its public interface
cannot give. Private parts carry no promise from one release to the next, so this module refuses
to load (ImportError) under any Whoosh but 2.7.5, the ``whoosh-reloaded==2.7.5`` that
pyproject.toml pins: a new Whoosh means reading each use below against its source, then moving
the pin. No other module of the archive touches a private of Whoosh's
(``tests/index/test_whoosh_private.py`` holds that wall).

The private parts used, and why:

- ``whoosh.system._INT_SIZE`` (:func:`decode_positions`): the length of the header before the
  pickled gaps of an encoded list of positions, so that positions are decoded with their sum
  taken in C instead of a Python loop.
- ``SegmentReader._perdoc``, ``W3PerDocReader._cached_reader`` and a column reader's
  ``_dbfile``, ``_basepos`` and ``_count`` (:func:`field_lengths`): a segment's one-byte field
  lengths read as one block of bytes, instead of a seek and a read for every document scored.
  They are kept in the segment reader's own ``__dict__`` (under ``_archive_lengths``, a name of
  the archive's), so that they live and die with the reader.
- ``IndexReader._text_to_bytes``, ``SegmentReader._terms`` and a ``W3LeafMatcher``'s
  ``_read_ids``, ``_read_weights``, ``_read_values``, ``_next_block``, ``_ids``, ``_weights``
  and ``_values`` (:func:`postings`): a word's whole posting list read a block at a time into
  arrays, instead of a Python call for every posting.
- ``FilterCollector._allow`` (:class:`AllowedInTime`): the allowed documents as the collector
  prepared them, checked in a loop of the archive's that also watches the clock.

Two more rely on Whoosh's insides without a private name: :class:`BulkCodec` turns off
``W3Codec.length_stats``, and :class:`BM25FWithLengthsInMemory` replaces a ``BM25FScorer``'s
``dfl`` (its function for a document's field length).
"""

from __future__ import annotations

import pickle
import time
from array import array
from itertools import accumulate
from typing import Any

import numpy as np
import numpy.typing as npt
import whoosh

WHOOSH_VERSION = "2.7.5"  # the version of whoosh-reloaded pinned in pyproject.toml

if whoosh.versionstring() != WHOOSH_VERSION:
    raise ImportError(
        f"archive.index.whoosh_private was written against Whoosh {WHOOSH_VERSION} and uses its "
        f"private parts; Whoosh {whoosh.versionstring()} is installed. Install "
        f"whoosh-reloaded=={WHOOSH_VERSION}, or read each private part this module lists "
        "against the new version's source before moving the pin."
    )

# Whoosh's parts are imported after the check: another version may lack one, and should fail
# with the message above rather than a missing name's.
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec
from whoosh.collectors import FilterCollector, TimeLimit
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import byte_to_length


def decode_positions(valuestring: bytes) -> list[int]:
    """Return the positions of a word in one document (ascending word numbers) from Whoosh's
    encoding of them: an int header of ``_INT_SIZE`` bytes, then the gaps between positions,
    pickled. Decoded as ``whoosh.formats.Positions.decode_positions`` does, the sum in C."""
    if not valuestring.endswith(b"."):
        valuestring += b"."
    return list(accumulate(pickle.loads(valuestring[_INT_SIZE:])))


class BM25FWithLengthsInMemory(BM25F):  # type: ignore[misc]
    """Whoosh's BM25F, with each segment's field lengths read into memory once per searcher.

    Whoosh reads the length of every document it scores from the index file, a seek and a
    read each: two thirds of the time of ranking a common word at 20,000 statements.
    """

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        """Return Whoosh's scorer of one word in one field; on one segment's searcher, a
        BM25FScorer whose ``dfl`` (a document's field length) looks the length up in the
        segment's lengths, read once (:func:`field_lengths`)."""
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        lengths = field_lengths(searcher.reader(), fieldname)
        if isinstance(scorer, BM25FScorer) and lengths is not None:
            scorer.dfl = lengths.__getitem__
        return scorer


# Whoosh's one-byte field lengths decoded (0, no length, counts as 1, as Whoosh's scorer has it).
_BYTE_LENGTHS = np.array([byte_to_length(byte) or 1 for byte in range(256)], dtype=np.int64)


def field_lengths(reader: Any, fieldname: str) -> npt.NDArray[np.int64] | None:
    """Return a segment's length of one field in every document, read once per reader; None
    for a reader that is not one segment's.

    An array by the segment's document numbers, in words: Whoosh stores each length in one
    byte (``whoosh.util.numeric.length_to_byte``: exact up to 10, rounded up above), decoded
    with ``byte_to_length``; 0 counts as 1, as Whoosh's BM25F scorer has it.
    """
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None:
        return None
    cache: dict[str, npt.NDArray[np.int64]] = reader.__dict__.setdefault("_archive_lengths", {})
    if fieldname not in cache:
        lengths = np.ones(reader.doc_count_all(), dtype=np.int64)
        column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if column is not None:  # a column of one byte per document, shorter where all are 0
            raw = column._dbfile.get(column._basepos, column._count)
            lengths[: len(raw)] = _BYTE_LENGTHS[np.frombuffer(raw, dtype=np.uint8)]
        cache[fieldname] = lengths
    return cache[fieldname]


class BulkCodec(W3Codec):  # type: ignore[misc]
    """Whoosh's codec, without each block of postings' range of field lengths.

    Writing the range reads every posting's field length back from the file written just
    before (a seek and a read each: a quarter of a rebuild's time). Whoosh only uses it to
    skip blocks that cannot reach the best scores, and the archive scores words and phrases
    itself; a range of 0 keeps those skips correct (every bound is higher), only rarer.

    Each segment a rebuild writes keeps its codec, pickled by class name into the index's table
    of contents, so the name is part of the index's on-disk format: the class keeps the one it
    was first written under, ``archive.index.search._BulkCodec`` (which that module answers to),
    and an index written before the class moved here opens without a rebuild.
    """

    __module__ = "archive.index.search"
    __qualname__ = "_BulkCodec"
    length_stats = False


def postings(
    reader: Any, fieldname: str, text: str, field_format: Any, positions: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], list[bytes]]:
    """Return one word's postings in one segment, read a block at a time as Whoosh's block
    reader decodes them: the documents it is in (the segment's document numbers), its weight in
    each (the term frequency times the field's boost) and, if asked, its encoded positions
    there (else an empty list)."""
    btext = reader._text_to_bytes(fieldname, text)
    matcher = reader._terms.matcher(fieldname, btext, field_format)
    ids: list[int] = []
    weights = array("f")
    encoded: list[bytes] = []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids.extend(matcher._ids)
        weights.extend(matcher._weights)
        if positions:
            matcher._read_values()
            encoded.extend(matcher._values)
        matcher._next_block()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64), encoded


class AllowedInTime(FilterCollector):  # type: ignore[misc]
    """Collect only allowed documents, and stop at a deadline with what was found.

    Whoosh's FilterCollector loops over matches itself and never asks a TimeLimitCollector
    inside it for the time; wrapped the other way round, the time limit skips the filter.
    """

    def __init__(self, child: Any, allow: set[int], deadline: float) -> None:
        """Wrap collector ``child``: ``allow`` holds the searcher's document numbers it may
        collect, ``deadline`` is a time.monotonic() value."""
        super().__init__(child, allow=allow)
        self.deadline = deadline

    def collect_matches(self) -> None:
        """Collect the allowed matches of the current segment; raise whoosh's TimeLimit past
        the deadline (checked every 512 matches), keeping what was collected."""
        child, allow, offset, deadline = self.child, self._allow, self.offset, self.deadline
        for count, sub_docnum in enumerate(child.matches()):
            if offset + sub_docnum in allow:
                child.collect(sub_docnum)
            if count % 512 == 0 and time.monotonic() > deadline:
                raise TimeLimit
