"""Paging and sorting of the list pages, shared by every list and its twins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PER_PAGE = 50
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, where it is, and how the list is sorted."""

    rows: Sequence[Any]
    number: int
    per_page: int
    total: int
    sort: str

    @property
    def pages(self) -> int:
        """Return how many pages the list has (at least one)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        """Tell whether there is a page before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """Tell whether there is a page after this one."""
        return self.number < self.pages


def page_number(args: Mapping[str, str]) -> int:
    """Return the page asked for, from 1 to MAX_PAGE: a missing number, or one that is not
    digits or has seven or more of them, is page 1; a larger one is capped at MAX_PAGE."""
    raw = args.get("page", "1")
    number = int(raw) if raw.isdecimal() and len(raw) < 7 else 1
    return min(max(number, 1), MAX_PAGE)


def sort_order(args: Mapping[str, str], orders: Mapping[str, Any]) -> str:
    """Return the sort asked for if the list knows it, else the list's first (default)."""
    wanted = args.get("sort", "")
    return wanted if wanted in orders else next(iter(orders))


def paginate(
    session: Session,
    query: Select[Any],
    orders: Mapping[str, Any],
    args: Mapping[str, str],
    per_page: int | None = None,
) -> Page:
    """Return one page of ``query`` sorted by the order the request names.

    ``orders`` maps each sort name to the ORDER BY clauses (ending with a unique key, so
    pages never overlap); the first is the default. Pages have PER_PAGE rows unless
    ``per_page`` says otherwise.
    """
    per_page = per_page or PER_PAGE
    sort = sort_order(args, orders)
    number = page_number(args)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(
        query.order_by(*orders[sort]).limit(per_page).offset((number - 1) * per_page)
    ).all()
    return Page(rows=rows, number=number, per_page=per_page, total=total, sort=sort)


@dataclass(frozen=True)
class Listing:
    """A list in the order the request asks for: one page of it for the page and its JSON twin,
    every row for its CSV twin. The page is read when first asked for."""

    session: Session
    query: Select[Any]
    orders: Mapping[str, Any]
    args: Mapping[str, str]

    @property
    def sort(self) -> str:
        """Return the name of the list's order."""
        return sort_order(self.args, self.orders)

    @cached_property
    def page(self) -> Page:
        """Return the page of the list that the request asks for."""
        return paginate(self.session, self.query, self.orders, self.args)

    def every_row(self) -> Select[Any]:
        """Return the query of every row of the list, in its order."""
        return self.query.order_by(*self.orders[self.sort])


def page_json(page: Page, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the JSON twin of a list page."""
    return {
        "page": page.number,
        "pages": page.pages,
        "per_page": page.per_page,
        "total": page.total,
        "sort": page.sort,
        "items": items,
    }
