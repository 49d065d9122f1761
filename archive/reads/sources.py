"""Sources: the list, one source, the chains of citations, the records citing a source."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from archive.data.models import (
    Event,
    FixityCheck,
    Revision,
    Signature,
    Source,
    Statement,
    Translation,
    event_sources,
    signature_sources,
    statement_sources,
)

SOURCE_ORDERS: dict[str, tuple[Any, ...]] = {
    "publisher": (func.lower(Source.publisher).nulls_last(), Source.key),
    "published": (Source.published.desc().nulls_last(), Source.key),
    "key": (Source.key,),
}
# A chain of citations longer than this is cut (the importer refuses cycles; the database
# itself does not, so a cycle written by other means must not loop forever).
MAX_CHAIN = 100
# The records citing one source that its page lists, per kind.
MAX_CITING = 200


def source_list() -> Select[Source]:
    """Return the query of the sources list, loading the source each one cites."""
    return select(Source).options(selectinload(Source.cites))


def source_by_key(session: Session, key: str) -> Source | None:
    """Return the source with ``key``, or None."""
    return session.scalar(select(Source).where(Source.key == key))


def source_chains(session: Session, ids: Iterable[int]) -> dict[int, list[Source]]:
    """Return, for each source id, that source and the sources it cites in turn, nearest first."""
    start = select(Source.id.label("start"), Source.id.label("id"), literal(0).label("depth"))
    chain = start.where(Source.id.in_(list(ids))).cte("chain", recursive=True)
    chain = chain.union_all(
        select(chain.c.start, Source.cites_id, chain.c.depth + 1)
        .join(Source, Source.id == chain.c.id)
        .where(Source.cites_id.is_not(None), chain.c.depth < MAX_CHAIN)
    )
    links = session.execute(select(chain.c.start, chain.c.id).order_by(chain.c.depth)).all()
    rows = session.scalars(select(Source).where(Source.id.in_({link.id for link in links})))
    by_id = {row.id: row for row in rows}
    chains: dict[int, list[Source]] = {}
    for link in links:
        found = chains.setdefault(link.start, [])
        if by_id[link.id] not in found:  # a cycle ends where it comes round again
            found.append(by_id[link.id])
    return chains


def provenance(session: Session, sources: Sequence[Source]) -> list[list[Source]]:
    """Return the chains behind a list of sources: each not cited by another, then what it cites."""
    chains = source_chains(session, [source.id for source in sources])
    cited = {row.id for chain in chains.values() for row in chain[1:]}
    heads = [source for source in sources if source.id not in cited]
    shown = {row.id for head in heads for row in chains[head.id]}
    for source in sources:  # sources in a cycle all cite one another; start at the first
        if source.id not in shown:
            heads.append(source)
            shown.update(row.id for row in chains[source.id])
    return [chains[head.id] for head in heads]


def sources_citing(session: Session, source_id: int) -> list[Source]:
    """Return the sources that cite a source, directly or through others, nearest first."""
    start = select(Source.id.label("id"), literal(1).label("depth"))
    up = start.where(Source.cites_id == source_id).cte("up", recursive=True)
    up = up.union_all(
        select(Source.id, up.c.depth + 1)
        .join(up, Source.cites_id == up.c.id)
        .where(up.c.depth < MAX_CHAIN)
    )
    nearest = dict(session.execute(select(up.c.id, func.min(up.c.depth)).group_by(up.c.id)).all())
    nearest.pop(source_id, None)  # a source in a cycle cites itself through the others
    query = select(Source).where(Source.id.in_(nearest)).options(selectinload(Source.cites))
    return sorted(session.scalars(query), key=lambda row: (nearest[row.id], row.key))


@dataclass(frozen=True)
class Citing:
    """The records that cite one source (up to MAX_CITING of each kind) and how many there are."""

    statements: Sequence[Statement]
    signatures: Sequence[Signature]
    events: Sequence[Event]
    totals: dict[str, int]


def records_citing(session: Session, source_id: int) -> Citing:
    """Return the statements, signatures and events that cite a source."""
    kinds = citing_queries(source_id)
    totals = {name: _count(session, query) for name, query in kinds.items()}
    rows = {name: session.scalars(query.limit(MAX_CITING)).all() for name, query in kinds.items()}
    return Citing(rows["statements"], rows["signatures"], rows["events"], totals)


def citing_queries(source_id: int) -> dict[str, Select[Any]]:
    """Return the queries, each whole and in page order, of the records citing a source."""
    return {
        "statements": _statements_citing(source_id),
        "signatures": _signatures_citing(source_id),
        "events": _events_citing(source_id),
    }


def _count(session: Session, query: Select[Any]) -> int:
    """Return how many rows a query gives."""
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _statements_citing(source_id: int) -> Select[Statement]:
    """Return the query of the statements that list a source or take a translation from it."""
    listing = select(statement_sources.c.statement_id).where(
        statement_sources.c.source_id == source_id
    )
    translating = select(Translation.statement_id).where(Translation.source_id == source_id)
    return (
        select(Statement)
        .where(or_(Statement.id.in_(listing), Statement.id.in_(translating)))
        .order_by(Statement.date.desc().nulls_last(), Statement.key)
        .options(selectinload(Statement.sources), selectinload(Statement.translations))
    )


def _signatures_citing(source_id: int) -> Select[Signature]:
    """Return the query of the signatures sourced to a source or withdrawn on its word."""
    listing = select(signature_sources.c.signature_id).where(
        signature_sources.c.source_id == source_id
    )
    return (
        select(Signature)
        .join(Signature.statement)
        .where(or_(Signature.id.in_(listing), Signature.withdrawal_source_id == source_id))
        .order_by(Statement.date.desc().nulls_last(), Statement.key, Signature.position)
        .options(selectinload(Signature.statement), selectinload(Signature.person))
    )


def _events_citing(source_id: int) -> Select[Event]:
    """Return the query of the events sourced to a source."""
    listing = select(event_sources.c.event_id).where(event_sources.c.source_id == source_id)
    return (
        select(Event)
        .where(Event.id.in_(listing))
        .order_by(Event.date.desc().nulls_last(), Event.key)
        .options(selectinload(Event.people), selectinload(Event.statement))
    )


@dataclass(frozen=True)
class CaptureVerified:
    """When a source's capture was last verified (the newest fixity check) and whether it
    matched its SHA-256 then (None: the source changed since, so the check saw another)."""

    check: int
    finished: datetime
    matched: bool | None


def capture_verified(session: Session, source: Source) -> CaptureVerified | None:
    """Return what the newest fixity check found of a source's captured text (None before
    any check, or for a source with no text: a digest alone is nothing to check)."""
    if source.capture_text is None:
        return None
    check = session.scalars(select(FixityCheck).order_by(FixityCheck.id.desc()).limit(1)).first()
    if check is None:
        return None
    since = select(Revision.id).where(
        Revision.record_type == "source",
        Revision.record_key == source.key,
        Revision.id > (check.head_revision or 0),
    )
    changed = session.scalar(since.limit(1)) is not None
    matched = None if changed else source.key not in check.failed_captures
    return CaptureVerified(check.id, check.finished_at, matched)
