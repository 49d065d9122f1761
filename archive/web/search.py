"""The search page and its JSON and CSV twins: one query, facet filters, sort order and page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from archive import reads
from archive.data.models import Person, Statement
from archive.index import querylang
from archive.index.generations import Freshness, IndexUnavailable, SearchIndex
from archive.index.highlight import highlight
from archive.index.schema import FILTERS
from archive.index.search import (
    MAX_PAGE,
    Results,
    SearchTooSlow,
    all_matching_keys,
    run_search,
)
from archive.reads.tree import DistrictTree
from archive.web import csv_layouts, csv_rows, downloads, formats, links
from archive.web.context import get_index, get_session
from archive.web.filters import signatory_count
from archive.web.links import person_url, statement_url

bp = Blueprint("search", __name__)

# Seconds a client is asked to wait (Retry-After) while the index is being built.
REBUILD_RETRY_AFTER = 30
REBUILDING = (
    "Search is being rebuilt and will be back shortly; every other page of the archive works "
    "meanwhile."
)

SORTS = ("relevance", "date")
MAX_FILTER_CHARS = 200
MAX_RAW_QUERY_CHARS = 10 * querylang.MAX_QUERY_CHARS  # cut before cleaning, which cuts again
# The district facet shows the whole tree when few districts are counted (up to FACET_TREE);
# else the top level, the path to the chosen district (or the one ?expand= names) and the
# districts right below each district on that path, each level cut to its FACET_LEVEL busiest
# with a link to the rest: thousands of districts would otherwise be a page of links each.
FACET_TREE = 40
FACET_LEVEL = 10
TOP_LEVEL = "/"  # the value of ?expand= that lists every district at the top
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
    expand: str = ""  # the district whose every counted child the district facet lists

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
        expand = args.get("expand", "")
        expand = expand if len(expand) <= MAX_FILTER_CHARS else ""
        return cls(q=q, filters=filters, sort=sort, page=page, notes=notes, expand=expand)

    def args(self, **changes: str | int | None) -> dict[str, str | int]:
        """Return the parameters as URL arguments, changed; changing anything but page resets it.

        An expanded facet stays expanded while the same search is paged or sorted.
        """
        values: dict[str, str | int | None] = {"q": self.q, **self.filters, "sort": self.sort}
        values.update(changes)
        values["page"] = changes.get("page", 1 if changes.keys() - {"expand"} else self.page)
        same = not changes.keys() & {"q", *FILTERS}
        values["expand"] = changes.get("expand", self.expand if same else None)
        if values["sort"] == "relevance":
            values["sort"] = None
        if values["page"] == 1:
            values["page"] = None
        return {name: value for name, value in values.items() if value not in (None, "")}

    def url(self, fmt: str | None = None, **changes: str | int | None) -> str:
        """Return the URL of this search, or of its twin in ``fmt``, with some parameters
        changed (None removes one)."""
        arguments: dict[str, Any] = self.args(**changes)  # url_for types its own options
        if fmt is not None:
            arguments.pop("expand", None)  # only the page has a facet to expand
        return url_for("search.results", fmt=fmt, **arguments)


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
    """One value of a facet with its count, and (for districts) the values below it.

    A value with ``more`` stands for the ``count`` values of its level left out: its ``value``
    is the district (or TOP_LEVEL) whose expansion lists them.
    """

    name: str
    value: str
    label: str
    count: int = 0
    children: list[FacetValue] = field(default_factory=list)
    more: bool = False


@dataclass
class Hit:
    """One statement found, with its URL, highlighted snippet and signatories in words."""

    statement: Statement
    url: str
    snippet: list[tuple[str, bool]]
    named: int
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
    statements = reads.statements.statements_by_keys(session, results.keys)
    named = reads.statements.signature_counts(session, [statement.id for statement in statements])
    tree = reads.districts.district_tree(session)
    return SearchPage(
        params=params,
        results=results,
        hits=[_hit(statement, named.get(statement.id, 0), results) for statement in statements],
        people=reads.people.people_by_keys(session, results.people),
        facets=_facets(results.facets, tree, params),
        active=[
            FacetValue(name, value, _label(name, value, tree))
            for name, value in params.filters.items()
        ],
        messages=params.notes + results.messages + _lag_note(results),
    )


def _lag_note(results: Results) -> list[str]:
    """Say, when the index searched lags behind the database, by how many changes."""
    behind = results.freshness.behind
    if not behind:
        return []
    changes = "change" if behind == 1 else f"{behind:,} changes"
    latest = "the latest change" if behind == 1 else f"the latest {changes}"
    return [f"These results do not include {latest} yet; search is catching up."]


def _hit(statement: Statement, named: int, results: Results) -> Hit:
    """Describe one statement found: its snippet around the query's words and its signatories."""
    translation = statement.translations[0].text if statement.translations else None
    return Hit(
        statement=statement,
        url=statement_url(statement.key),
        snippet=_snippet([statement.summary, statement.text, translation], results),
        named=named,
        signatories=signatory_count(named, statement.reported_signatories),
    )


def _snippet(texts: list[str | None], results: Results) -> list[tuple[str, bool]]:
    """Return the snippet of the first text the query's words match, else of the first text."""
    first: list[tuple[str, bool]] = []
    for text in texts:
        if not text:
            continue
        snippet = highlight(text, results.terms)  # reads the whole text: stop at a match
        if any(matched for _, matched in snippet):
            return snippet
        first = first or snippet
    return first


def _label(name: str, value: str, tree: DistrictTree) -> str:
    """Return the words shown for a facet value: a district's name, a kind without underscores."""
    if name == "district":
        node = tree.by_key.get(value)
        return node.name if node is not None else value
    return value.replace("_", " ")


def _facets(
    counts: dict[str, dict[str, int]], tree: DistrictTree, params: SearchParams
) -> dict[str, list[FacetValue]]:
    """Return each facet's values in display order, districts as a tree."""
    facets = {}
    for name in FILTERS:
        if name == "district":
            facets[name] = _district_facet(counts.get(name, {}), tree, params)
            continue
        values = [
            FacetValue(name, value, _label(name, value, tree), count)
            for value, count in counts.get(name, {}).items()
        ]
        if name == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        else:
            values.sort(key=lambda v: (-v.count, v.label))
        facets[name] = values
    return facets


def _district_facet(
    counts: dict[str, int], tree: DistrictTree, params: SearchParams
) -> list[FacetValue]:
    """Return the district facet: its values nested under their parents, busiest first.

    Of a large tree only the levels a reader needs are kept (see FACET_TREE); values are made
    only for what is shown.
    """
    below: dict[str, list[str]] = {}
    for key in counts:
        parent = tree.parent_key(key)
        below.setdefault(parent if parent in counts else TOP_LEVEL, []).append(key)
    whole = len(counts) <= FACET_TREE
    chosen = [key for key in (params.filters.get("district"), params.expand) if key]
    path = {above for key in chosen for above in tree.lineage(key)}

    def level(parent: str) -> list[FacetValue]:
        values = [
            FacetValue("district", key, _label("district", key, tree), counts[key])
            for key in below.get(parent, [])
        ]
        values.sort(key=lambda v: (-v.count, v.label))
        shown = values
        if not whole and parent != params.expand:
            shown = values[:FACET_LEVEL] + [v for v in values[FACET_LEVEL:] if v.value in path]
        for value in shown:
            if whole or parent == TOP_LEVEL or value.value in path:
                value.children = level(value.value)
        hidden = len(values) - len(shown)
        more = FacetValue("district", parent, "", hidden, more=True)
        return [*shown, more] if hidden else shown

    return level(TOP_LEVEL)


def download_name(params: SearchParams, signatures: bool) -> list[str]:
    """Return the words that name a search's download: its query and filters."""
    words = ["search", params.q or "all"]
    words += [f"{name}-{value}" for name, value in params.filters.items()]
    if signatures:
        words.append("signatures")
    return words


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
        "dataset_version": results.freshness.current,
        "index_version": results.freshness.indexed,
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
        "named_signatories": hit.named,
        "reported_signatories": statement.reported_signatories,
        "demands": [demand.demand for demand in statement.demands],
    }


@dataclass(frozen=True)
class Search:
    """A search asked for: its page of results for the search page and its JSON twin, every
    statement it finds (or their signatures) for its CSV twin, each run when first needed."""

    session: Session
    index: SearchIndex
    params: SearchParams
    signatures: bool = False  # the CSV twin's long form: a row per signature (?rows=signatures)

    @cached_property
    def page(self) -> SearchPage:
        """Return the page of results asked for, with the records and facets it shows."""
        return search_page(self.session, self.index, self.params)

    def every_key(self) -> tuple[list[str], Freshness]:
        """Return the keys of every statement found, in order, and the versions of index and
        database; answer 400 with the note when the search is refused or stopped (an empty
        file would say that nothing was found, and a 5xx would invite a retry of the same
        search)."""
        params = self.params
        try:
            return all_matching_keys(self.index, params.q, params.filters, params.sort)
        except SearchTooSlow as error:
            abort(400, description=str(error))


@formats.page(bp, "/search")
def results(fmt: str = formats.HTML) -> ResponseReturnValue:
    """Show the statements and people matching a query, with facets to narrow them."""
    params = SearchParams.from_args(request.args)
    signatures = request.args.get("rows") == "signatures"
    found = Search(get_session(), get_index(), params, signatures)
    if fmt == "json" and found.page.results.stopped:  # the note, as a client error
        return jsonify(as_json(found.page)), 400
    return formats.respond(fmt, found, html=_html, json=_json, csv=_csv)


def _html(found: Search) -> str:
    """Render the search page."""
    return render_template("search.html", page=found.page, labels=FACET_LABELS)


def _json(found: Search) -> dict[str, Any]:
    """Return the search page as plain JSON values."""
    return as_json(found.page)


def _csv(found: Search) -> Response:
    """Stream every statement the search finds (not one page), or their signatures, as CSV."""
    keys, freshness = found.every_key()
    if found.signatures:
        layout, rows = csv_layouts.SIGNATURES, csv_rows.search_signature_rows(found.session, keys)
    else:
        url = links.record_urls("statements.show")
        rows = csv_rows.search_statement_rows(found.session, keys, url)
        layout = csv_layouts.STATEMENTS
    response = downloads.csv_response(layout, rows, download_name(found.params, found.signatures))
    response.headers["X-Total-Count"] = str(len(keys))
    response.headers["X-Dataset-Version"] = str(freshness.current)
    response.headers["X-Index-Version"] = str(freshness.indexed)
    return response


@bp.errorhandler(IndexUnavailable)
def _rebuilding(_error: IndexUnavailable) -> ResponseReturnValue:
    """Answer 503 with Retry-After while there is no usable index (it is being built in the
    background): the one place a 503 is right, since asking again later will succeed."""
    headers = {"Retry-After": str(REBUILD_RETRY_AFTER)}
    if formats.requested() == "json":
        return jsonify({"error": REBUILDING, "retry_after": REBUILD_RETRY_AFTER}), 503, headers
    if formats.requested() == "csv":
        return Response(REBUILDING + "\n", 503, headers, mimetype="text/plain")
    page = render_template(
        "error.html", code=503, title="Search is being rebuilt", message=REBUILDING
    )
    return page, 503, headers
