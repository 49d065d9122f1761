"""The search page and its JSON twin: one query, facet filters, sort order and page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from sqlalchemy.orm import Session

from archive import csvviews, queries, querylang
from archive.db import get_session
from archive.models import Person, Statement
from archive.search import (
    FILTERS,
    Results,
    SearchIndex,
    SearchTooSlow,
    all_matching_keys,
    get_index,
    highlight,
    run_search,
)
from archive.views.format import signatory_count
from archive.views.links import person_url, statement_url

bp = Blueprint("search", __name__)

SORTS = ("relevance", "date")
MAX_PAGE = 1000  # deeper pages cost a ranking of page * per_page hits; nobody reads them
MAX_FILTER_CHARS = 200
MAX_RAW_QUERY_CHARS = 10 * querylang.MAX_QUERY_CHARS  # cut before cleaning, which cuts again
FACET_LABELS = {
    "kind": "Kind",
    "year": "Year",
    "district": "District",
    "demand": "Demand",
    "lang": "Language",
}


@dataclass(frozen=True)
class SearchParams:
    """The parameters of a search, made safe, with notes on what was changed in them."""

    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> SearchParams:
        """Read the parameters of a request, never failing whatever their values."""
        q, notes = querylang.clean(args.get("q", "")[:MAX_RAW_QUERY_CHARS])
        filters = {}
        for name in FILTERS:
            value = args.get(name, "")
            if len(value) > MAX_FILTER_CHARS:
                notes.append(f"The {FACET_LABELS[name].lower()} filter was too long and ignored.")
            elif value:
                filters[name] = value
        sort = args.get("sort") or "relevance"
        if sort not in SORTS:
            notes.append("Unknown sort order; the results are sorted by relevance.")
            sort = "relevance"
        page = _page_number(args.get("page", "1"), notes)
        return cls(q=q, filters=filters, sort=sort, page=page, notes=notes)

    def args(self, **changes: str | int | None) -> dict[str, str | int]:
        """Return the parameters as URL arguments, changed; changing anything but page resets it."""
        values: dict[str, str | int | None] = {"q": self.q, **self.filters, "sort": self.sort}
        values.update(changes)
        values["page"] = changes.get("page", 1 if changes else self.page)
        if values["sort"] == "relevance":
            values["sort"] = None
        if values["page"] == 1:
            values["page"] = None
        return {name: value for name, value in values.items() if value not in (None, "")}

    def url(self, endpoint: str = "search.results", **changes: str | int | None) -> str:
        """Return the URL of this search with some parameters changed (None removes one)."""
        arguments: dict[str, Any] = self.args(**changes)  # url_for types its own options
        return url_for(endpoint, **arguments)


def _page_number(raw: str, notes: list[str]) -> int:
    """Return a page number from 1 to MAX_PAGE for any string, noting what was changed."""
    try:
        number = int(raw.strip() or "1")
    except ValueError:
        notes.append("The page number was not understood; the first page is shown.")
        return 1
    if number < 1:
        notes.append("Pages are numbered from 1; the first page is shown.")
        return 1
    if number > MAX_PAGE:
        notes.append(f"Only the first {MAX_PAGE} pages can be shown; page {MAX_PAGE} is shown.")
        return MAX_PAGE
    return number


@dataclass
class FacetValue:
    """One value of a facet with its count, and (for districts) the values below it."""

    name: str
    value: str
    label: str
    count: int = 0
    children: list[FacetValue] = field(default_factory=list)


@dataclass
class Hit:
    """One statement found, with its URL, highlighted snippet and signatories in words."""

    statement: Statement
    url: str
    snippet: list[tuple[str, bool]]
    signatories: str


@dataclass
class SearchPage:
    """Everything the search page and its JSON twin show."""

    params: SearchParams
    results: Results
    hits: list[Hit]
    people: list[Person]
    facets: dict[str, list[FacetValue]]
    active: list[FacetValue]
    messages: list[str]

    @property
    def pages(self) -> int:
        """Return the number of pages of results (at least one)."""
        return max(1, -(-self.results.total // self.results.per_page))


def search_page(session: Session, index: SearchIndex, params: SearchParams) -> SearchPage:
    """Run a search and load the records and district names its page shows."""
    results = run_search(index, params.q, params.filters, params.sort, params.page)
    statements = queries.statements_by_keys(session, results.keys)
    district_keys = set(results.facets.get("district", {}))
    if "district" in params.filters:
        district_keys.add(params.filters["district"])
    outline = queries.district_outline(session, district_keys)
    return SearchPage(
        params=params,
        results=results,
        hits=[_hit(statement, results) for statement in statements],
        people=queries.people_by_keys(session, results.people),
        facets=_facets(results.facets, outline),
        active=[
            FacetValue(name, value, _label(name, value, outline))
            for name, value in params.filters.items()
        ],
        messages=params.notes + results.messages,
    )


def _hit(statement: Statement, results: Results) -> Hit:
    """Describe one statement found: its snippet around the query's words and its signatories."""
    translation = statement.translations[0].text if statement.translations else None
    texts = [text for text in (statement.summary, statement.text, translation) if text]
    snippets = [highlight(text, results.terms) for text in texts]
    matching = [snippet for snippet in snippets if any(matched for _, matched in snippet)]
    return Hit(
        statement=statement,
        url=statement_url(statement.key),
        snippet=(matching or snippets or [[]])[0],
        signatories=signatory_count(len(statement.signatures), statement.reported_signatories),
    )


def _label(name: str, value: str, outline: dict[str, tuple[str, str | None]]) -> str:
    """Return the words shown for a facet value: a district's name, a kind without underscores."""
    if name == "district":
        return outline[value][0] if value in outline else value
    return value.replace("_", " ")


def _facets(
    counts: dict[str, dict[str, int]], outline: dict[str, tuple[str, str | None]]
) -> dict[str, list[FacetValue]]:
    """Return each facet's values in display order, districts as a tree."""
    facets = {}
    for name in FILTERS:
        values = [
            FacetValue(name, value, _label(name, value, outline), count)
            for value, count in counts.get(name, {}).items()
        ]
        if name == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        else:
            values.sort(key=lambda v: (-v.count, v.label))
        facets[name] = _tree(values, outline) if name == "district" else values
    return facets


def _tree(values: list[FacetValue], outline: dict[str, tuple[str, str | None]]) -> list[FacetValue]:
    """Nest district values under their parents; return the top ones, each level by name."""
    by_key = {value.value: value for value in values}
    roots = []
    for value in sorted(values, key=lambda v: v.label):
        parent = outline.get(value.value, ("", None))[1]
        if parent in by_key and parent != value.value:
            by_key[parent].children.append(value)
        else:
            roots.append(value)
    return roots


def as_json(page: SearchPage) -> dict[str, Any]:
    """Return the search page as plain JSON values."""
    results = page.results
    return {
        "query": page.params.q,
        "total": results.total,
        "page": page.params.page,
        "per_page": results.per_page,
        "sort": page.params.sort,
        "filters": page.params.filters,
        "messages": page.messages,
        "suggestion": results.suggestion,
        "results": [_hit_json(hit) for hit in page.hits],
        "people": [
            {"key": person.key, "url": person_url(person.key), "name": person.name}
            for person in page.people
        ],
        "facets": results.facets,
    }


def _hit_json(hit: Hit) -> dict[str, Any]:
    """Return one statement found as plain JSON values."""
    statement = hit.statement
    return {
        "key": statement.key,
        "url": hit.url,
        "title": statement.title,
        "date": statement.date,
        "kind": statement.kind,
        "districts": [district.key for district in statement.districts],
        "named_signatories": len(statement.signatures),
        "reported_signatories": statement.reported_signatories,
        "demands": [demand.demand for demand in statement.demands],
    }


@bp.get("/search")
def results() -> str:
    """Show the statements and people matching a query, with facets to narrow them."""
    page = search_page(get_session(), get_index(), SearchParams.from_args(request.args))
    return render_template("search.html", page=page, labels=FACET_LABELS, person_url=person_url)


@bp.get("/search.json")
def results_json() -> Response:
    """Answer the same search as the search page, as JSON."""
    page = search_page(get_session(), get_index(), SearchParams.from_args(request.args))
    return jsonify(as_json(page))


@bp.get("/search.csv")
def results_csv() -> Response:
    """Answer every statement the search finds (not one page), or their signatures, as CSV.

    ``rows=signatures`` gives the long form: one row per signature of the statements found.
    """
    params = SearchParams.from_args(request.args)
    signatures = request.args.get("rows") == "signatures"
    session = get_session()
    try:
        keys, _messages = all_matching_keys(get_index(), params.q, params.filters, params.sort)
    except SearchTooSlow as error:
        abort(503, description=str(error))
    if signatures:
        layout, rows = csvviews.SIGNATURES, csvviews.search_signature_rows(session, keys)
    else:
        layout, rows = csvviews.STATEMENTS, csvviews.search_statement_rows(session, keys)
    name = csvviews.search_name(params.q, params.filters, signatures)
    response = csvviews.csv_response(layout, rows, name)
    response.headers["X-Total-Count"] = str(len(keys))
    return response
