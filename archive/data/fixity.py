"""Fixity: the SHA-256 digests that make captures and the revision log tamper-evident.

A capture's digest is the SHA-256 of its text encoded as UTF-8 (:func:`capture_digest`).

Every revision keeps two digests, given when it is written (archive.data.revisions):

- its **content digest**, the SHA-256 of its content in a canonical form
  (:func:`content_digest`): the JSON object ``{"action", "actor", "after", "before", "id",
  "record_key", "record_type"}`` (``actor`` is its changeset's; when the change was made is not
  covered, so that the same data imported anywhere has the same digests), serialised with
  keys sorted by code point at every depth, no whitespace (``","`` and ``":"``), characters
  as themselves (no ``\\u`` escapes but those JSON requires), numbers as Python's ``json``
  writes them, then encoded as UTF-8. Python values are serialised, not the database's text, so
  SQLite and PostgreSQL, whose stored JSON may differ in key order and spacing, give the same
  bytes;
- its **chain digest**, ``SHA-256(previous + ":" + id + ":" + content digest)`` (ASCII),
  where ``previous`` is the chain digest of the revision before it in id order (GENESIS for
  the first) and ``id`` is written in decimal (:func:`chain_digest`).

The newest revision's chain digest, the **chain head**, thus stands for the whole history: a
change to any revision, or a revision taken out, changes every chain digest after it.

The chain covers the content digest, not the content, so that a revision may be **redacted**:
its ``before`` and ``after`` both blanked (NULL), which no write produces (an insert has no
``before``, a delete no ``after``, an update both), while its digests stay. A check then
cannot recompute a redacted revision's content digest, but the chain still verifies
(archive.data.verification checks them all).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

# The chain digest "before" the first revision.
GENESIS = "0" * 64
# The canonical form's encoder, made once (json.dumps makes one per call: a tenth of a digest).
CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def capture_digest(text: str) -> str:
    """Return the SHA-256 of a captured text encoded as UTF-8, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(value: Any) -> bytes:
    """Return the canonical bytes of a JSON value: sorted keys, compact, UTF-8.

    A lone surrogate (which JSON's ``\\ud800`` may bring in) is kept as its UTF-8-like bytes
    rather than refused. Raises TypeError or ValueError for what JSON cannot hold.
    """
    return CANONICAL.encode(value).encode("utf-8", "surrogatepass")


def content_digest(
    revision_id: int,
    actor: str,
    record_type: str,
    record_key: str,
    action: str,
    before: Any,
    after: Any,
) -> str:
    """Return a revision's content digest: the SHA-256 of its canonical content, in hex."""
    content = {
        "id": revision_id,
        "actor": actor,
        "record_type": record_type,
        "record_key": record_key,
        "action": action,
        "before": before,
        "after": after,
    }
    return hashlib.sha256(canonical(content)).hexdigest()


def chain_digest(previous: str | None, revision_id: int, content: str) -> str:
    """Return a revision's chain digest from the previous revision's (None: the first
    revision, which follows GENESIS), its id and its content digest, in hex."""
    link = f"{previous or GENESIS}:{revision_id}:{content}"
    # UTF-8 is ASCII for hex digests, and does not fail on a digest damaged in the database.
    return hashlib.sha256(link.encode("utf-8", "surrogatepass")).hexdigest()


def is_redacted(before: Any, after: Any) -> bool:
    """Tell whether a revision's content was blanked by a redaction (both sides NULL)."""
    return before is None and after is None
