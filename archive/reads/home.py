"""What the home page reads: counts, the newest statements, the timeline, the busiest districts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.data.models import (
    District,
    Person,
    Source,
    Statement,
)
from archive.reads.districts import top_districts
from archive.reads.tree import DistrictNode
from archive.reads.versions import per_version


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
