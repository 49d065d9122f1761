"""The list of people and each person's page, each with its JSON and CSV twins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from archive import reads
from archive.data.models import Decision, Event, Person, Signature
from archive.data.snapshots import snapshot
from archive.identity.candidates import Candidate
from archive.identity.review import Review, review
from archive.web import csv_layouts, csv_rows, downloads, formats, links
from archive.web.answers import found
from archive.web.context import get_session
from archive.web.listing import Listing, Page, page_json, page_number

bp = Blueprint("people", __name__)

ORDERS = reads.people.PEOPLE_ORDERS
CANDIDATES_PER_PAGE = 100
SORT_LABELS = {"name": "name", "key": "key", "statements": "number of statements"}


@dataclass(frozen=True)
class PersonPage:
    """A person, the statements they are part of, and what happened to them afterwards (read
    when first asked for: the CSV twin reads its own signatures)."""

    session: Session
    person: Person

    @cached_property
    def signatures(self) -> Sequence[Signature]:
        """Return the person's signatures, oldest statement first."""
        return reads.people.signatures_of(self.session, self.person)

    @cached_property
    def events(self) -> Sequence[Event]:
        """Return the events concerning the person, oldest first."""
        return reads.people.events_concerning(self.session, self.person)

    @cached_property
    def decisions(self) -> Sequence[Decision]:
        """Return the curators' decisions on who the person is (merges, splits, not the same
        person), oldest first."""
        return reads.people.decisions_about(self.session, self.person)

    @cached_property
    def merged_keys(self) -> Sequence[str]:
        """Return the keys of people merged into this one (their URLs redirect here)."""
        return reads.people.merged_keys(self.session, self.person)


@formats.page(bp, "/people")
def index(fmt: str = formats.HTML) -> ResponseReturnValue:
    """Show one page of the people, sorted as asked (the CSV: every one)."""
    listed = Listing(get_session(), reads.people.people_query(), ORDERS, request.args)
    return formats.respond(fmt, listed, html=_list_html, json=_list_json, csv=_list_csv)


def _counts(listed: Listing) -> dict[int, int]:
    """Return how many statements each person on the page is part of, by person id."""
    return reads.people.statement_counts(listed.session, listed.page.rows)


def _list_html(listed: Listing) -> str:
    """Render a page of the list of people."""
    return formats.render_list("people.html", listed, SORT_LABELS, counts=_counts(listed))


def _list_json(listed: Listing) -> dict[str, Any]:
    """Return a page of the list of people as plain JSON values."""
    counts = _counts(listed)
    items = [
        {
            "key": person.key,
            "url": links.person_url(person.key),
            "name": person.name,
            "statements": counts[person.id],
        }
        for person in listed.page.rows
    ]
    return page_json(listed.page, items)


def _list_csv(listed: Listing) -> Response:
    """Stream every person, in the list's order, as CSV."""
    return downloads.list_csv(listed, "people", csv_layouts.PEOPLE, csv_rows.people_rows)


@dataclass(frozen=True)
class CandidatesPage:
    """One page of the candidates list, and the whole list (for the CSV twin)."""

    found: Review
    page: Page


@formats.page(bp, "/people/candidates")
def candidates(fmt: str = formats.HTML) -> ResponseReturnValue:
    """Show pairs of people who may be one person, best first, a page at a time (the CSV:
    every pair); the list is computed once per dataset version."""
    found = reads.versions.per_version(get_session(), "candidates", review)
    number = page_number(request.args)
    start = (number - 1) * CANDIDATES_PER_PAGE
    rows = found.candidates[start : start + CANDIDATES_PER_PAGE]
    page = Page(rows, number, CANDIDATES_PER_PAGE, len(found.candidates), "score")
    return formats.respond(
        fmt,
        CandidatesPage(found, page),
        html=_candidates_html,
        json=_candidates_json,
        csv=_candidates_csv,
    )


def _candidates_html(data: CandidatesPage) -> str:
    """Render a page of the candidates list."""
    return render_template(
        "candidates.html",
        page=data.page,
        names=data.found.names,
        json_url=url_for("people.candidates", fmt="json", page=data.page.number),
        csv_url=url_for("people.candidates", fmt="csv"),
    )


def _candidates_json(data: CandidatesPage) -> dict[str, Any]:
    """Return a page of the candidates list as plain JSON values."""
    return page_json(data.page, [_candidate_json(data.found, c) for c in data.page.rows])


def _candidate_json(found: Review, candidate: Candidate) -> dict[str, Any]:
    """Return one pair of the candidates list as plain JSON values, with the people's URLs."""
    pair = found.pair(candidate)
    for person in (pair["person"], pair["other"]):
        person["url"] = links.person_url(person["key"])
    return pair


def _candidates_csv(data: CandidatesPage) -> Response:
    """Stream every pair of the candidates list as CSV, best first."""
    names = data.found.names
    rows = (
        (rank, c.score, c.left, names[c.left], c.right, names[c.right], "; ".join(c.reasons))
        for rank, c in enumerate(data.found.candidates, 1)
    )
    return downloads.csv_response(csv_layouts.CANDIDATES, rows, ["people", "candidates"])


def person_page(session: Session, key: str) -> PersonPage:
    """Return a person's page; answer 404 for an unknown key."""
    return PersonPage(session, found(reads.people.person_by_key(session, key), "person", key))


@formats.page(bp, "/people/<key>")
def show(key: str, fmt: str = formats.HTML) -> ResponseReturnValue:
    """Show a person: their names, their statements and what happened to them afterwards. The
    key of a person merged into another answers a permanent redirect to that person's page (or
    the same twin), so that every citation of it still leads somewhere."""
    session = get_session()
    target = reads.people.merged_into(session, key)
    if target is not None:
        return formats.moved(links.person_url(target) + ("" if fmt == formats.HTML else f".{fmt}"))
    page = person_page(session, key)
    return formats.respond(
        fmt, page, html=formats.template("person.html"), json=person_json, csv=_show_csv
    )


def person_json(page: PersonPage) -> dict[str, Any]:
    """Return a person's page as plain JSON values: the record, its statements and events."""
    person = page.person
    return {
        **snapshot("person", person),
        "url": links.person_url(person.key),
        "merged_keys": list(page.merged_keys),
        "statements": [_signature_json(signature) for signature in page.signatures],
        "events": [snapshot("event", event) for event in page.events],
        "decisions": [_decision_json(decision) for decision in page.decisions],
    }


def _decision_json(decision: Decision) -> dict[str, Any]:
    """Return a curator's decision as plain JSON values: what, on whom, who, when and why."""
    return {
        "decision": decision.decision,
        "person": decision.person_key,
        "other": decision.other_key,
        "actor": decision.changeset.actor,
        "made": decision.changeset.created_at.isoformat(timespec="seconds") + "Z",
        "reason": decision.reason,
    }


def _signature_json(signature: Signature) -> dict[str, Any]:
    """Return a person's part in one statement as plain JSON values."""
    statement = signature.statement
    return {
        **links.statement_ref(statement),
        "role": signature.role,
        "district": signature.district.key if signature.district is not None else None,
        "stance": signature.stance,
        "withdrawn": signature.withdrawn,
    }


def _show_csv(page: PersonPage) -> Response:
    """Stream a person's signatures, one row each, oldest statement first, as CSV."""
    rows = csv_rows.person_signatures(page.session, page.person)
    name = ["person", page.person.key, "signatures"]
    return downloads.csv_response(csv_layouts.SIGNATURES, rows, name)
