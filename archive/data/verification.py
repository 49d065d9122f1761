"""Fixity checks (``archive verify``): every capture's SHA-256 recomputed, the revision log's
chain walked from the first revision to the newest, and the run recorded in ``fixity_checks``.

Both are read from one snapshot, streamed a batch at a time in id order (``yield_per``: a
server-side cursor on PostgreSQL), so that memory stays flat for millions of revisions. The
digests are those of archive.data.fixity.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, select, update
from sqlalchemy.orm import Session

from archive.data import fixity
from archive.data.database import Database
from archive.data.models import Changeset, FixityCheck, Revision, Source

# Rows fetched at a time: revisions are small; captures may be long texts.
REVISION_BATCH = 2000
CAPTURE_BATCH = 200


@dataclass
class Verification:
    """What one fixity check found: how much it checked, the newest revision and the chain
    head it reached, and each failure as a one-line sentence naming the record."""

    started: datetime
    captures: int = 0
    revisions: int = 0
    redacted: int = 0
    head_revision: int | None = None
    chain_head: str | None = None
    failures: list[str] = field(default_factory=list)
    failed_captures: list[str] = field(default_factory=list)
    finished: datetime | None = None
    check_id: int | None = None  # the id of its row in fixity_checks, once recorded

    @property
    def ok(self) -> bool:
        """Tell whether nothing failed."""
        return not self.failures


def now() -> datetime:
    """Return the time in UTC, without its zone (as the database keeps changesets' times)."""
    return datetime.now(UTC).replace(tzinfo=None)


def verify(database: Database, further: Sequence[Callable[[], Iterable[str]]] = ()) -> Verification:
    """Check every capture and the whole chain in one snapshot, then run the ``further``
    checks (each returns its failures as one-line sentences: a backup's manifest); return what
    was found, to be recorded with :func:`record`.

    Raises SQLAlchemyError when the database cannot be read.
    """
    found = Verification(started=now())
    with database.snapshot() as session:
        check_captures(session, found)
        walk_chain(session, found)
        check_last_head(session, found)
    for check in further:
        found.failures.extend(check())
    found.finished = now()
    return found


def check_captures(session: Session, found: Verification) -> None:
    """Recompute the SHA-256 of every captured text and compare it with the stored one."""
    for key, text, stored in _captures(session):
        found.captures += 1
        if stored is None:
            found.failures.append(f"source {key}: its captured text has no SHA-256 stored")
            found.failed_captures.append(key)
        elif fixity.capture_digest(text) != stored:
            found.failures.append(
                f"source {key}: its captured text does not match its SHA-256 (stored {stored}, "
                f"the text's now {fixity.capture_digest(text)})"
            )
            found.failed_captures.append(key)


def _captures(session: Session) -> Iterator[tuple[str, str, str | None]]:
    """Yield (key, captured text, stored SHA-256) of every source with a text, in id order."""
    query = (
        select(Source.key, Source.capture_text, Source.capture_sha256)
        .where(Source.capture_text.is_not(None))
        .order_by(Source.id)
        .execution_options(yield_per=CAPTURE_BATCH)
    )
    for key, text, stored in session.execute(query):
        if text is not None:  # as the query asks: narrows the type
            yield key, text, stored


def walk_chain(session: Session, found: Verification) -> None:
    """Check each revision's content against its content digest (but a redacted one's) and
    its chain digest against the one before it, in id order; set the head reached."""
    previous: int | None = None
    chain: str | None = None  # the stored chain digest of the revision before
    for row in _revisions(session):
        found.revisions += 1
        name = f"revision {row.id} ({row.record_type} {row.record_key})"
        try:
            before, after = _sides(row)
        except ValueError as damaged:
            found.failures.append(f"{name}: {damaged}")
        else:
            if fixity.is_redacted(before, after):
                found.redacted += 1
            elif _content_digest(row, before, after) != row.content_digest:
                found.failures.append(f"{name}: its content does not match its content digest")
        if fixity.chain_digest(chain, row.id, row.content_digest) != row.chain_digest:
            found.failures.append(f"{name}: its chain digest {_follows(previous, row.id)}")
        previous, chain = row.id, row.chain_digest
    found.head_revision, found.chain_head = previous, chain


def _revisions(session: Session) -> Iterator[Any]:
    """Yield every revision with its changeset's actor and its JSON as stored text, in id
    order (text, so that JSON damaged in the database is a failure, not an error)."""
    query = (
        select(
            Revision.id,
            Changeset.actor,
            Revision.record_type,
            Revision.record_key,
            Revision.action,
            cast(Revision.before, Text).label("before"),
            cast(Revision.after, Text).label("after"),
            Revision.content_digest,
            Revision.chain_digest,
        )
        .outerjoin(Changeset, Changeset.id == Revision.changeset_id)
        .order_by(Revision.id)
        .execution_options(yield_per=REVISION_BATCH)
    )
    yield from session.execute(query)


def _sides(row: Any) -> tuple[Any, Any]:
    """Return a revision's before and after, read from their stored JSON text.

    Raises ValueError, saying which side, when one is not JSON.
    """
    sides = []
    for side in ("before", "after"):
        text = getattr(row, side)
        try:
            sides.append(json.loads(text) if text is not None else None)
        except ValueError:
            raise ValueError(f"its {side} is not JSON") from None
    return sides[0], sides[1]


def _content_digest(row: Any, before: Any, after: Any) -> str:
    """Return a revision's content digest recomputed from what is stored."""
    return fixity.content_digest(
        row.id, row.actor, row.record_type, row.record_key, row.action, before, after
    )


def _follows(previous: int | None, revision_id: int) -> str:
    """Say what a chain digest that does not follow should have followed, and which
    revisions are missing between the two, if any."""
    first_missing = (previous or 0) + 1
    after = f"revision {previous}'s" if previous is not None else "the start of the chain"
    missing = ""
    if first_missing == revision_id - 1:
        missing = f" (revision {first_missing} is missing)"
    elif first_missing < revision_id:
        missing = f" (revisions {first_missing} to {revision_id - 1} are missing)"
    return f"does not follow from {after}{missing}"


def check_last_head(session: Session, found: Verification) -> None:
    """Check that the newest revision the last recorded check reached is still there with the
    chain digest it had: revisions taken off the end of the log leave no break to find."""
    last = session.scalars(
        select(FixityCheck)
        .where(FixityCheck.head_revision.is_not(None))
        .order_by(FixityCheck.id.desc())
        .limit(1)
    ).first()
    if last is None or last.head_revision is None:
        return
    stored = session.scalar(select(Revision.chain_digest).where(Revision.id == last.head_revision))
    when = f"the check of {last.finished_at:%Y-%m-%d %H:%M:%S} UTC"
    if stored is None:
        found.failures.append(
            f"revision {last.head_revision}, the newest at {when}, is missing: the log was cut"
        )
    elif stored != last.chain_head:
        found.failures.append(
            f"revision {last.head_revision}: its chain digest is not the one {when} recorded"
        )


def record(database: Database, found: Verification) -> None:
    """Record a finished check in ``fixity_checks`` and note its id.

    Raises SQLAlchemyError when it cannot be written (another writer holds the database past
    its busy timeout).
    """
    with database.session() as session, session.begin():
        check = FixityCheck(
            started_at=found.started,
            finished_at=found.finished or now(),
            captures=found.captures,
            revisions=found.revisions,
            head_revision=found.head_revision,
            chain_head=found.chain_head,
            failures=found.failures,
            failed_captures=found.failed_captures,
            ok=found.ok,
        )
        session.add(check)
        session.flush()
        found.check_id = check.id


def redact(session: Session, revision_id: int) -> None:
    """Blank a revision's content (``before`` and ``after``), keeping its digests, so that the
    chain still verifies; a check counts it as redacted (archive.data.fixity)."""
    session.execute(
        update(Revision).where(Revision.id == revision_id).values(before=None, after=None)
    )
