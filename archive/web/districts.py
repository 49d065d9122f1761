"""The district tree, each district's page, and their JSON twins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy.orm import Session

from archive import reads
from archive.data.models import District, Person, Statement
from archive.data.snapshots import snapshot
from archive.reads.districts import DistrictCounts, Office
from archive.reads.tree import SIBLING_ORDERS, DistrictNode, DistrictTree
from archive.web import csv_layouts, csv_rows, downloads, links, listing
from archive.web.answers import not_found
from archive.web.context import get_session

bp = Blueprint("districts", __name__)
bp.context_processor(links.template_helpers)

SORT_LABELS = {"name": "name", "key": "key"}
TREE_ORDERS = dict.fromkeys(SIBLING_ORDERS)
# The tree is one page unless it is very large; then it is cut, depth first, into pages.
TREE_PER_PAGE = 1000
# The argument that pages the signatories on a district's page (``page`` pages its statements).
SIGNATORIES_PAGE = "signatories_page"
SIGNATORY_ORDERS = {"name": reads.people.PEOPLE_ORDERS["name"]}


@dataclass
class Branch:
    """A district on a page of the tree, with its counts and the branches below it there."""

    node: DistrictNode
    depth: int
    counts: DistrictCounts
    children: list[Branch] = field(default_factory=list)
    above: list[DistrictNode] = field(default_factory=list)  # ancestors on earlier pages


@dataclass(frozen=True)
class TreePage:
    """One page of the district tree: its branches in order, and the top ones nested."""

    page: listing.Page
    tops: list[Branch]
    tree: DistrictTree


@dataclass(frozen=True)
class DistrictPage:
    """A district, where it lies, what lies below it, and what comes from all of that."""

    district: District
    ancestors: list[DistrictNode]
    children: list[tuple[DistrictNode, DistrictCounts]]
    statements: listing.Page
    signatories: listing.Page
    offices: dict[int, list[Office]]


def tree_page(session: Session, args: Mapping[str, str]) -> TreePage:
    """Return the page of the district tree the request asks for, with counts."""
    tree = reads.districts.district_tree(session)
    counts = reads.districts.district_counts(session)
    sort = listing.sort_order(args, TREE_ORDERS)
    walked = list(tree.walk(order=sort))
    number = listing.page_number(args)
    start = (number - 1) * TREE_PER_PAGE
    rows = [
        Branch(node, depth, counts.get(node.id, DistrictCounts()))
        for node, depth in walked[start : start + TREE_PER_PAGE]
    ]
    page = listing.Page(rows, number, TREE_PER_PAGE, len(walked), sort)
    return TreePage(page, _nest(rows, tree), tree)


def _nest(rows: list[Branch], tree: DistrictTree) -> list[Branch]:
    """Nest each branch under its parent when that is on the same page; return the others."""
    placed: dict[int, Branch] = {}
    tops = []
    for branch in rows:
        parent = placed.get(branch.node.parent_id) if branch.node.parent_id else None
        if parent is not None:
            parent.children.append(branch)
        else:
            branch.above = tree.ancestors(branch.node)
            tops.append(branch)
        placed[branch.node.id] = branch
    return tops


def district_page(
    session: Session, key: str, args: Mapping[str, str], as_json: bool = False
) -> DistrictPage:
    """Load a district's page; answer 404 (as JSON for a twin) for an unknown key."""
    district = reads.districts.district_by_key(session, key)
    tree = reads.districts.district_tree(session)
    node = tree.by_key.get(key)
    if district is None or node is None:
        not_found(f"There is no district with the key {key!r}.", as_json)
    below = tree.subtree_ids(node)
    statements, signatories = _lists(session, below, args)
    return DistrictPage(
        district=district,
        ancestors=tree.ancestors(node),
        children=_children(session, node),
        statements=statements,
        signatories=signatories,
        offices=reads.districts.offices_in(session, signatories.rows, below),
    )


def _lists(
    session: Session, below: list[int], args: Mapping[str, str]
) -> tuple[listing.Page, listing.Page]:
    """Return the pages asked for of the statements and the signatories from the districts."""
    statements = listing.paginate(
        session,
        reads.districts.statements_in(below),
        reads.districts.DISTRICT_STATEMENT_ORDERS,
        args,
    )
    signatories_args = {"page": args.get(SIGNATORIES_PAGE, "1")}
    signatories = listing.paginate(
        session, reads.districts.signatories_in(below), SIGNATORY_ORDERS, signatories_args
    )
    return statements, signatories


def _children(session: Session, node: DistrictNode) -> list[tuple[DistrictNode, DistrictCounts]]:
    """Return the districts right below ``node``, by name, with their counts."""
    children = sorted(node.children, key=lambda child: child.sort_key("name"))
    counts = reads.districts.district_counts(session)
    return [(child, counts.get(child.id, DistrictCounts())) for child in children]


@bp.get("/districts")
def index() -> str:
    """Show the tree of districts with the statements and signatories from each."""
    listed = tree_page(get_session(), request.args)
    return render_template(
        "districts.html",
        listed=listed,
        labels=SORT_LABELS,
        json_url=links.list_url("districts.index_json", listed.page, TREE_ORDERS),
        csv_url=links.list_csv_url("districts.index_csv", listed.page, TREE_ORDERS),
    )


@bp.get("/districts.json")
def index_json() -> Response:
    """Answer the same page of the district tree as JSON."""
    listed = tree_page(get_session(), request.args)
    items = [_branch_json(branch, listed.tree) for branch in listed.page.rows]
    return jsonify(listing.page_json(listed.page, items))


@bp.get("/districts.csv")
def index_csv() -> Response:
    """Answer the whole district tree, depth first, with the counts from each, as CSV."""
    session = get_session()
    sort = listing.sort_order(request.args, TREE_ORDERS)
    tree = reads.districts.district_tree(session)
    rows = csv_rows.district_rows(session, tree, sort, links.record_urls("districts.show"))
    name = ["districts", downloads.sort_name(sort, TREE_ORDERS)]
    return downloads.csv_response(csv_layouts.DISTRICTS, rows, name)


def _branch_json(branch: Branch, tree: DistrictTree) -> dict[str, Any]:
    """Return one district of the tree as plain JSON values."""
    node = branch.node
    parent = tree.by_id.get(node.parent_id) if node.parent_id else None
    return {
        "key": node.key,
        "url": links.district_url(node.key),
        "name": node.name,
        "kind": node.kind,
        "parent": parent.key if parent is not None else None,
        "depth": branch.depth,
        "statements": branch.counts.statements,
        "signatories": branch.counts.signatories,
    }


@bp.get("/districts/<path:key>")
def show(key: str) -> str:
    """Show a district: where it lies, what lies below it, and the statements from all of it."""
    page = district_page(get_session(), key, request.args)
    return render_template("district.html", page=page, signatories_page=SIGNATORIES_PAGE)


@bp.get("/districts/<path:key>.json")
def show_json(key: str) -> Response:
    """Answer a district's page as JSON."""
    page = district_page(get_session(), key, request.args, as_json=True)
    return jsonify(district_json(page))


@bp.get("/districts/<path:key>.csv")
def show_csv(key: str) -> Response:
    """Answer every statement from a district and the districts below it, newest first, as CSV."""
    session = get_session()
    tree = reads.districts.district_tree(session)
    node = tree.by_key.get(key)
    if node is None:
        not_found(f"There is no district with the key {key!r}.")
    below = tree.subtree_ids(node)
    query = reads.districts.statements_in(below).order_by(
        *reads.districts.DISTRICT_STATEMENT_ORDERS["date"]
    )
    rows = csv_rows.listed_statements(session, query, links.record_urls("statements.show"))
    return downloads.csv_response(csv_layouts.STATEMENTS, rows, ["district", key, "statements"])


def district_json(page: DistrictPage) -> dict[str, Any]:
    """Return a district's page as plain JSON values."""
    district = page.district
    statements = [_statement_json(statement) for statement in page.statements.rows]
    signatories = [_signatory_json(person, page.offices) for person in page.signatories.rows]
    return {
        **snapshot("district", district),
        "url": links.district_url(district.key),
        "ancestors": [_node_json(node) for node in page.ancestors],
        "children": [{**_node_json(node), **counts._asdict()} for node, counts in page.children],
        "statements": listing.page_json(page.statements, statements),
        "signatories": listing.page_json(page.signatories, signatories),
    }


def _node_json(node: DistrictNode) -> dict[str, Any]:
    """Return a district's key, name and URL."""
    return {"key": node.key, "name": node.name, "url": links.district_url(node.key)}


def _statement_json(statement: Statement) -> dict[str, Any]:
    """Return a statement listed on a district's page as plain JSON values."""
    return links.statement_ref(statement)


def _signatory_json(person: Person, offices: dict[int, list[Office]]) -> dict[str, Any]:
    """Return a signatory and the roles they signed as in the district as plain JSON values."""
    return {
        "key": person.key,
        "url": links.person_url(person.key),
        "name": person.name,
        "offices": [
            {"role": office.role, "district": office.district_key}
            for office in offices.get(person.id, [])
        ],
    }
