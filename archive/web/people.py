"""The list of people, each person's page, and their JSON twins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy.orm import Session

from archive import reads
from archive.data.models import Event, Person, Signature
from archive.data.snapshots import snapshot
from archive.web import csv_layouts, csv_rows, downloads, links, listing
from archive.web.answers import not_found
from archive.web.context import get_session

bp = Blueprint("people", __name__)
bp.context_processor(links.template_helpers)

SORT_LABELS = {"name": "name", "key": "key", "statements": "number of statements"}


@dataclass(frozen=True)
class PersonPage:
    """A person, the statements they are part of, and what happened to them afterwards."""

    person: Person
    signatures: Sequence[Signature]
    events: Sequence[Event]


def people_page(session: Session, args: Mapping[str, str]) -> listing.Page:
    """Return the page of the list of people that the request asks for."""
    return listing.paginate(session, reads.people.people_query(), reads.people.PEOPLE_ORDERS, args)


def person_page(session: Session, key: str, as_json: bool = False) -> PersonPage:
    """Load a person's page; answer 404 (as JSON for a twin) for an unknown key."""
    person = reads.people.person_by_key(session, key)
    if person is None:
        not_found(f"There is no person with the key {key!r}.", as_json)
    return PersonPage(
        person=person,
        signatures=reads.people.signatures_of(session, person),
        events=reads.people.events_concerning(session, person),
    )


@bp.get("/people")
def index() -> str:
    """Show one page of the people, sorted as asked."""
    session = get_session()
    page = people_page(session, request.args)
    counts = reads.people.statement_counts(session, page.rows)
    return render_template(
        "people.html",
        page=page,
        counts=counts,
        labels=SORT_LABELS,
        json_url=links.list_url("people.index_json", page, reads.people.PEOPLE_ORDERS),
        csv_url=links.list_csv_url("people.index_csv", page, reads.people.PEOPLE_ORDERS),
    )


@bp.get("/people.json")
def index_json() -> Response:
    """Answer one page of the people as JSON."""
    session = get_session()
    page = people_page(session, request.args)
    counts = reads.people.statement_counts(session, page.rows)
    items = [
        {
            "key": person.key,
            "url": links.person_url(person.key),
            "name": person.name,
            "statements": counts[person.id],
        }
        for person in page.rows
    ]
    return jsonify(listing.page_json(page, items))


@bp.get("/people.csv")
def index_csv() -> Response:
    """Answer every person, in the order asked for, as CSV."""
    sort = listing.sort_order(request.args, reads.people.PEOPLE_ORDERS)
    query = reads.people.people_query().order_by(*reads.people.PEOPLE_ORDERS[sort])
    rows = csv_rows.people_rows(get_session(), query, links.record_urls("people.show"))
    name = ["people", downloads.sort_name(sort, reads.people.PEOPLE_ORDERS)]
    return downloads.csv_response(csv_layouts.PEOPLE, rows, name)


@bp.get("/people/<key>")
def show(key: str) -> str:
    """Show a person: their names, their statements and what happened to them afterwards."""
    return render_template("person.html", page=person_page(get_session(), key))


@bp.get("/people/<key>.json")
def show_json(key: str) -> Response:
    """Answer a person's page as JSON."""
    return jsonify(person_json(person_page(get_session(), key, as_json=True)))


@bp.get("/people/<key>.csv")
def show_csv(key: str) -> Response:
    """Answer a person's signatures, one row each, oldest statement first, as CSV."""
    session = get_session()
    person = reads.people.person_by_key(session, key)
    if person is None:
        not_found(f"There is no person with the key {key!r}.")
    rows = csv_rows.person_signatures(session, person)
    return downloads.csv_response(csv_layouts.SIGNATURES, rows, ["person", key, "signatures"])


def person_json(page: PersonPage) -> dict[str, Any]:
    """Return a person's page as plain JSON values: the record, its statements and events."""
    person = page.person
    return {
        **snapshot("person", person),
        "url": links.person_url(person.key),
        "statements": [_signature_json(signature) for signature in page.signatures],
        "events": [snapshot("event", event) for event in page.events],
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
