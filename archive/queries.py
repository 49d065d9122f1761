"""Read functions: each takes a session and returns rows or plain values."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import CTE, Select, distinct, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, joinedload, selectinload

from archive.db import WRITE
from archive.models import (
    District,
    Event,
    Person,
    Signature,
    Source,
    Statement,
    Translation,
    event_people,
    event_sources,
    signature_sources,
    statement_districts,
    statement_sources,
)
from archive.store import dataset_version
from archive.tree import DistrictNode, DistrictTree

__all__ = [
    "DISTRICT_STATEMENT_ORDERS",
    "MAX_CHAIN",
    "MAX_CITING",
    "PEOPLE_ORDERS",
    "SIGNATURE_ORDERS",
    "SOURCE_ORDERS",
    "STATEMENT_ORDERS",
    "Citing",
    "DistrictCounts",
    "Office",
    "Overview",
    "StatementDates",
    "StatementRef",
    "citing_queries",
    "counts",
    "dataset_version",
    "district_by_key",
    "district_counts",
    "district_tree",
    "events_concerning",
    "latest_statements",
    "offices_in",
    "overview",
    "people_by_keys",
    "people_query",
    "per_version",
    "person_by_key",
    "provenance",
    "records_citing",
    "signatories_in",
    "signature_counts",
    "signatures_of",
    "signatures_on",
    "signer_names",
    "source_by_key",
    "source_chains",
    "source_list",
    "sources_citing",
    "statement_by_key",
    "statement_counts",
    "statement_dates",
    "statement_events",
    "statement_list",
    "statements_by_keys",
    "statements_in",
    "top_districts",
]


T = TypeVar("T")

# What is read from whole tables (the district tree, the counts, the home page's overview)
# changes only with the data: each process keeps each such value for the newest dataset version
# of a database it has read. A write session computes afresh: what it reads may yet be rolled
# back, and SQLite would then give the next write's revision the same number.
_per_version: dict[str, tuple[tuple[str, int], Any]] = {}


def per_version(session: Session, name: str, compute: Callable[[Session], T]) -> T:
    """Return ``compute(session)``, kept under ``name`` per database and dataset version.

    The value is shared by every request of the process: its users must never change it.
    """
    bind = session.get_bind()
    if bind.get_execution_options().get(WRITE, False):
        return compute(session)
    key = (bind.engine.url.render_as_string(), dataset_version(session))
    held = _per_version.get(name)
    if held is None or held[0] != key:
        held = (key, compute(session))
        _per_version[name] = held
    value: T = held[1]
    return value


def counts(session: Session) -> dict[str, int]:
    """Return how many statements, people, districts and sources the archive holds."""
    models = {"statements": Statement, "people": Person, "districts": District, "sources": Source}
    return {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in models.items()
    }


class StatementRef(NamedTuple):
    """What a list of links to statements shows of each: its key, title and date."""

    key: str
    title: str
    date: str | None


def latest_statements(session: Session, limit: int = 10) -> list[StatementRef]:
    """Return the newest statements by date, then by key."""
    query = select(Statement.key, Statement.title, Statement.date).order_by(
        Statement.date.desc().nulls_last(), Statement.key
    )
    return [StatementRef(*row) for row in session.execute(query.limit(limit))]


def statements_by_keys(session: Session, keys: Sequence[str]) -> list[Statement]:
    """Return the statements with the given keys, in that order, with what a result list shows
    (but their signatures: count them with signature_counts)."""
    query = (
        select(Statement)
        .where(Statement.key.in_(list(keys)))
        .options(
            selectinload(Statement.districts),
            selectinload(Statement.demands),
            selectinload(Statement.translations),
        )
    )
    found = {row.key: row for row in session.scalars(query)}
    return [found[key] for key in keys if key in found]


def people_by_keys(session: Session, keys: Sequence[str]) -> list[Person]:
    """Return the people with the given keys, in that order."""
    found = {row.key: row for row in session.scalars(select(Person).where(Person.key.in_(keys)))}
    return [found[key] for key in keys if key in found]


# The statement and source pages, and their lists.

# The sort orders of the statement and source lists; the first is the default, each ends with a
# unique key so that pages never overlap.
STATEMENT_ORDERS: dict[str, tuple[Any, ...]] = {
    "date": (Statement.date.desc().nulls_last(), Statement.key),
    "title": (func.lower(Statement.title), Statement.key),
    "key": (Statement.key,),
}
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


def statement_list() -> Select[Statement]:
    """Return the query of the statements list, loading the districts each row shows."""
    return select(Statement).options(selectinload(Statement.districts))


def signature_counts(session: Session, statement_ids: Iterable[int]) -> dict[int, int]:
    """Return how many signatures each of the statements has (without loading them)."""
    query = (
        select(Signature.statement_id, func.count())
        .where(Signature.statement_id.in_(list(statement_ids)))
        .group_by(Signature.statement_id)
    )
    return {statement_id: n for statement_id, n in session.execute(query)}


def source_list() -> Select[Source]:
    """Return the query of the sources list, loading the source each one cites."""
    return select(Source).options(selectinload(Source.cites))


def statement_by_key(session: Session, key: str) -> Statement | None:
    """Return the statement with ``key`` and what its page shows but the signatures, or None.

    A petition may have thousands of signatures: its page reads one page of them
    (signatures_on), its twins all of them in batches.
    """
    query = (
        select(Statement)
        .where(Statement.key == key)
        .options(
            selectinload(Statement.demands),
            selectinload(Statement.districts),
            selectinload(Statement.sources),
            selectinload(Statement.translations).selectinload(Translation.source),
        )
    )
    return session.scalar(query)


# The order of a statement's signatures: its own, then the id (positions are not unique).
SIGNATURE_ORDERS: dict[str, tuple[Any, ...]] = {"position": (Signature.position, Signature.id)}


def signatures_on(statement_id: int) -> Select[Signature]:
    """Return the query of a statement's signatures, loading what each row of its page shows."""
    return (
        select(Signature)
        .where(Signature.statement_id == statement_id)
        .options(
            joinedload(Signature.person),
            joinedload(Signature.district),
            joinedload(Signature.withdrawal_source),
            selectinload(Signature.sources),
        )
    )


def signer_names(session: Session, statement_id: int, limit: int) -> list[str]:
    """Return the names of a statement's first ``limit`` signatories who did not withdraw."""
    query = (
        select(Person.name)
        .join(Signature, Signature.person_id == Person.id)
        .where(Signature.statement_id == statement_id, Signature.stance != "withdrawn")
        .order_by(*SIGNATURE_ORDERS["position"])
        .limit(limit)
    )
    return list(session.scalars(query))


def statement_events(session: Session, statement_id: int) -> Sequence[Event]:
    """Return the events that followed a statement, oldest first (undated last)."""
    query = (
        select(Event)
        .where(Event.statement_id == statement_id)
        .order_by(Event.date.nulls_last(), Event.key)
        .options(selectinload(Event.people), selectinload(Event.sources))
    )
    return session.scalars(query).all()


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


# People.

# How many statements a person is part of, for sorting the list of people.
PERSON_STATEMENTS = (
    select(func.count(Signature.id)).where(Signature.person_id == Person.id).scalar_subquery()
)
# The orders of the list of people: each ends with the unique key, so pages never overlap.
PEOPLE_ORDERS: dict[str, tuple[Any, ...]] = {
    "name": (func.lower(Person.name), Person.key),
    "key": (Person.key,),
    "statements": (PERSON_STATEMENTS.desc(), func.lower(Person.name), Person.key),
}


def people_query() -> Select[Person]:
    """Return the query of every person, for the list of people."""
    return select(Person)


def statement_counts(session: Session, people: Iterable[Person]) -> dict[int, int]:
    """Return how many statements each of the given people is part of, by person id."""
    ids = [person.id for person in people]
    query = (
        select(Signature.person_id, func.count(Signature.id))
        .where(Signature.person_id.in_(ids))
        .group_by(Signature.person_id)
    )
    counted = {person_id: n for person_id, n in session.execute(query)}
    return {person_id: counted.get(person_id, 0) for person_id in ids}


def person_by_key(session: Session, key: str) -> Person | None:
    """Return the person with ``key`` and their names, or None."""
    query = select(Person).where(Person.key == key).options(selectinload(Person.names))
    return session.scalar(query)


def signatures_of(session: Session, person: Person) -> Sequence[Signature]:
    """Return a person's signatures with their statements and districts, oldest statement first."""
    query = (
        select(Signature)
        .join(Signature.statement)
        .where(Signature.person_id == person.id)
        .order_by(Statement.date.asc().nulls_last(), Statement.key)
        .options(
            joinedload(Signature.statement),
            joinedload(Signature.district),
            joinedload(Signature.withdrawal_source),
        )
    )
    return session.scalars(query).all()


def events_concerning(session: Session, person: Person) -> Sequence[Event]:
    """Return the events naming a person or about a statement they signed, oldest first."""
    named = select(event_people.c.event_id).where(event_people.c.person_id == person.id)
    signed = select(Signature.statement_id).where(Signature.person_id == person.id)
    query = (
        select(Event)
        .where(or_(Event.id.in_(named), Event.statement_id.in_(signed)))
        .order_by(Event.date.asc().nulls_last(), Event.key)
        .options(
            joinedload(Event.statement), selectinload(Event.people), selectinload(Event.sources)
        )
    )
    return session.scalars(query).all()


# Districts.


class DistrictCounts(NamedTuple):
    """How many statements and signatories come from a district and everything below it."""

    statements: int = 0
    signatories: int = 0


def district_tree(session: Session) -> DistrictTree:
    """Return the whole district tree, read in one query and kept per dataset version.

    The tree is shared by every request of the process: never change it.
    """
    return per_version(session, "district tree", _read_district_tree)


def _read_district_tree(session: Session) -> DistrictTree:
    """Read the whole district tree in one query."""
    query = select(District.id, District.key, District.name, District.kind, District.parent_id)
    return DistrictTree(DistrictNode(*row) for row in session.execute(query))


def district_by_key(session: Session, key: str) -> District | None:
    """Return the district with ``key`` and its names, or None."""
    query = select(District).where(District.key == key).options(selectinload(District.names))
    return session.scalar(query)


def _subtrees() -> CTE:
    """Return a CTE pairing each district with itself and with every district below it."""
    top = select(District.id.label("ancestor"), District.id.label("descendant"))
    tree = top.cte("subtree", recursive=True)
    # UNION, not UNION ALL: a cycle in bad data then ends instead of recursing for ever.
    return tree.union(
        select(tree.c.ancestor, District.id).where(District.parent_id == tree.c.descendant)
    )


def district_counts(session: Session) -> dict[int, DistrictCounts]:
    """Return the statements and signatories from each district and everything below it, by id.

    A statement comes from a district when it names it or a signature of it is held there;
    each statement and each person counts once per district however often they appear below.
    Counting reads every signature (seconds for a million): the counts are kept per dataset
    version, shared by every request of the process.
    """
    return per_version(session, "district counts", _count_districts)


def _count_districts(session: Session) -> dict[int, DistrictCounts]:
    """Count the statements and signatories from each district and everything below it."""
    tree = _subtrees()
    placed = union_all(
        select(statement_districts.c.statement_id, statement_districts.c.district_id),
        select(Signature.statement_id, Signature.district_id),
    ).subquery()
    statements = _count_below(session, tree, placed.c.statement_id, placed.c.district_id)
    signatories = _count_below(session, tree, Signature.person_id, Signature.district_id)
    return {
        district_id: DistrictCounts(statements.get(district_id, 0), signatories.get(district_id, 0))
        for district_id in statements.keys() | signatories.keys()
    }


def _count_below(session: Session, tree: CTE, counted: Any, district: Any) -> dict[int, int]:
    """Count the distinct ``counted`` values whose ``district`` lies in each subtree."""
    query = (
        select(tree.c.ancestor, func.count(distinct(counted)))
        .select_from(tree)
        .join(district.table, district == tree.c.descendant)
        .group_by(tree.c.ancestor)
    )
    return {district_id: n for district_id, n in session.execute(query)}


def top_districts(session: Session, limit: int = 10) -> list[tuple[DistrictNode, int]]:
    """Return the districts with most signatories (counting those below), most first."""
    tree = district_tree(session)
    ranked = sorted(
        (
            (tree.by_id[district_id], n.signatories)
            for district_id, n in district_counts(session).items()
            if n.signatories and district_id in tree.by_id
        ),
        key=lambda pair: (-pair[1], pair[0].name.casefold(), pair[0].key),
    )
    return ranked[:limit]


# The orders of the statements listed on a district's page: newest first.
DISTRICT_STATEMENT_ORDERS: dict[str, tuple[Any, ...]] = {
    "date": (Statement.date.desc().nulls_last(), Statement.key),
}


def statements_in(district_ids: Collection[int]) -> Select[Statement]:
    """Return the query of the statements naming, or signed in, one of the districts."""
    ids = list(district_ids)
    named = select(statement_districts.c.statement_id).where(
        statement_districts.c.district_id.in_(ids)
    )
    signed = select(Signature.statement_id).where(Signature.district_id.in_(ids))
    return select(Statement).where(or_(Statement.id.in_(named), Statement.id.in_(signed)))


def signatories_in(district_ids: Collection[int]) -> Select[Person]:
    """Return the query of the people who signed something as holders of office in a district."""
    held = select(Signature.person_id).where(Signature.district_id.in_(list(district_ids)))
    return select(Person).where(Person.id.in_(held))


class Office(NamedTuple):
    """A role a person held in a district when they signed, as a statement reports it."""

    role: str | None
    district_key: str
    district_name: str


def offices_in(
    session: Session, people: Iterable[Person], district_ids: Collection[int]
) -> dict[int, list[Office]]:
    """Return the roles the given people signed as in one of the districts, by person id."""
    query = (
        select(Signature.person_id, Signature.role, District.key, District.name)
        .join(Signature.district)
        .where(
            Signature.person_id.in_([person.id for person in people]),
            Signature.district_id.in_(list(district_ids)),
        )
        .distinct()
        .order_by(Signature.person_id, District.key, Signature.role)
    )
    found: dict[int, list[Office]] = {}
    for person_id, role, key, name in session.execute(query):
        found.setdefault(person_id, []).append(Office(role, key, name))
    return found


# The home page's timeline.


class StatementDates(NamedTuple):
    """How many statements fall in each month, and how many are dated only to a year or not."""

    months: dict[str, int]
    year_only: int
    undated: int


def statement_dates(session: Session) -> StatementDates:
    """Count the statements per month ("2022-09"), those dated only to a year, and undated."""
    month = func.substr(Statement.date, 1, 7)
    rows = session.execute(select(month, func.count()).group_by(month))
    months: dict[str, int] = {}
    year_only = undated = 0
    for prefix, n in rows:
        if prefix is None:
            undated += n
        elif len(prefix) == 4:
            year_only += n
        else:
            months[prefix] = n
    return StatementDates(dict(sorted(months.items())), year_only, undated)


@dataclass(frozen=True)
class Overview:
    """What the home page shows of the whole archive."""

    counts: dict[str, int]
    latest: list[StatementRef]
    dates: StatementDates
    top_districts: list[tuple[DistrictNode, int]]


def overview(session: Session, latest: int = 10, districts: int = 10) -> Overview:
    """Return the archive's counts, newest statements, timeline and busiest districts.

    Each is read from a whole table: the overview is kept per dataset version, shared by every
    request of the process.
    """

    def read(session: Session) -> Overview:
        return Overview(
            counts=counts(session),
            latest=latest_statements(session, latest),
            dates=statement_dates(session),
            top_districts=top_districts(session, districts),
        )

    return per_version(session, f"overview of {latest} statements, {districts} districts", read)
