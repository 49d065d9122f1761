"""Districts: the tree, its counts, and the statements and signatories of a subtree."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, NamedTuple

from sqlalchemy import CTE, Select, distinct, func, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from archive.data.models import (
    District,
    Person,
    Signature,
    Statement,
    statement_districts,
)
from archive.reads.tree import DistrictNode, DistrictTree
from archive.reads.versions import per_version

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
