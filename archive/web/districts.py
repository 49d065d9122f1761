"""The district tree and each district's page, each with its JSON and CSV twins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from archive import reads
from archive.data.models import District, Person, Statement
from archive.data.snapshots import snapshot
from archive.reads.districts import DistrictCounts, Office
from archive.reads.tree import SIBLING_ORDERS, DistrictNode, DistrictTree
from archive.web import csv_layouts, csv_rows, downloads, formats, links, listing
from archive.web.answers import found
from archive.web.context import get_session

bp = Blueprint("districts", __name__)

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
    """The district tree in the order asked for: one page of it for the page and its JSON twin
    (its branches in order, with counts, the top ones nesting the others), the whole tree for
    its CSV twin. Each part is read when first asked for."""

    session: Session
    args: Mapping[str, str]

    @property
    def sort(self) -> str:
        """Return the order of siblings in the tree."""
        return listing.sort_order(self.args, TREE_ORDERS)

    @cached_property
    def tree(self) -> DistrictTree:
        """Return the whole district tree."""
        return reads.districts.district_tree(self.session)

    @cached_property
    def page(self) -> listing.Page:
        """Return the page of the tree that the request asks for: branches with counts."""
        counts = reads.districts.district_counts(self.session)
        walked = list(self.tree.walk(order=self.sort))
        number = listing.page_number(self.args)
        start = (number - 1) * TREE_PER_PAGE
        rows = [
            Branch(node, depth, counts.get(node.id, DistrictCounts()))
            for node, depth in walked[start : start + TREE_PER_PAGE]
        ]
        return listing.Page(rows, number, TREE_PER_PAGE, len(walked), self.sort)

    @cached_property
    def tops(self) -> list[Branch]:
        """Return the branches of the page whose parent is not on it, the others nested."""
        return _nest(self.page.rows, self.tree)


def _nest(rows: Sequence[Branch], tree: DistrictTree) -> list[Branch]:
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


@dataclass(frozen=True)
class DistrictPage:
    """A district, where it lies, what lies below it, and what comes from all of that. Each
    part is read when first asked for: the CSV twin needs only the districts below."""

    session: Session
    args: Mapping[str, str]
    tree: DistrictTree
    node: DistrictNode

    @cached_property
    def district(self) -> District:
        """Return the district's record; answer 404 when there is none."""
        district = reads.districts.district_by_key(self.session, self.node.key)
        return found(district, "district", self.node.key)

    @cached_property
    def ancestors(self) -> list[DistrictNode]:
        """Return the districts above this one, the top first."""
        return self.tree.ancestors(self.node)

    @cached_property
    def below(self) -> list[int]:
        """Return the ids of this district and of every district below it."""
        return self.tree.subtree_ids(self.node)

    @cached_property
    def children(self) -> list[tuple[DistrictNode, DistrictCounts]]:
        """Return the districts right below this one, by name, with their counts."""
        children = sorted(self.node.children, key=lambda child: child.sort_key("name"))
        counts = reads.districts.district_counts(self.session)
        return [(child, counts.get(child.id, DistrictCounts())) for child in children]

    @cached_property
    def statements(self) -> listing.Page:
        """Return the page asked for of the statements from the district and below it."""
        query = reads.districts.statements_in(self.below)
        orders = reads.districts.DISTRICT_STATEMENT_ORDERS
        return listing.paginate(self.session, query, orders, self.args)

    @cached_property
    def signatories(self) -> listing.Page:
        """Return the page asked for of the signatories holding office there or below."""
        asked = {"page": self.args.get(SIGNATORIES_PAGE, "1")}
        query = reads.districts.signatories_in(self.below)
        return listing.paginate(self.session, query, SIGNATORY_ORDERS, asked)

    @cached_property
    def offices(self) -> dict[int, list[Office]]:
        """Return the roles that each signatory on the page signed as there, by person id."""
        return reads.districts.offices_in(self.session, self.signatories.rows, self.below)


def district_page(session: Session, key: str, args: Mapping[str, str]) -> DistrictPage:
    """Return a district's page; answer 404 for an unknown key."""
    tree = reads.districts.district_tree(session)
    return DistrictPage(session, args, tree, found(tree.by_key.get(key), "district", key))


@formats.page(bp, "/districts")
def index(fmt: str = formats.HTML) -> ResponseReturnValue:
    """Show the tree of districts with the statements and signatories from each."""
    listed = TreePage(get_session(), request.args)
    return formats.respond(fmt, listed, html=_tree_html, json=_tree_json, csv=_tree_csv)


def _tree_html(listed: TreePage) -> str:
    """Render a page of the district tree."""
    return render_template(
        "districts.html",
        listed=listed,
        labels=SORT_LABELS,
        **links.list_twins("districts.index", listed.page, TREE_ORDERS),
    )


def _tree_json(listed: TreePage) -> dict[str, Any]:
    """Return a page of the district tree as plain JSON values."""
    items = [_branch_json(branch, listed.tree) for branch in listed.page.rows]
    return listing.page_json(listed.page, items)


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


def _tree_csv(listed: TreePage) -> Response:
    """Stream the whole district tree, depth first, with the counts from each, as CSV."""
    url = links.record_urls("districts.show")
    rows = csv_rows.district_rows(listed.session, listed.tree, listed.sort, url)
    name = ["districts", downloads.sort_name(listed.sort, TREE_ORDERS)]
    return downloads.csv_response(csv_layouts.DISTRICTS, rows, name)


@formats.page(bp, "/districts/<path:key>")
def show(key: str, fmt: str = formats.HTML) -> ResponseReturnValue:
    """Show a district: where it lies, what lies below it, and the statements from all of it."""
    if key.endswith("/") and fmt == formats.HTML:  # the path converter took the trailing slash
        return formats.without_slash()
    page = district_page(get_session(), key, request.args)
    return formats.respond(fmt, page, html=_show_html, json=district_json, csv=_show_csv)


def _show_html(page: DistrictPage) -> str:
    """Render a district's page."""
    return render_template(
        "district.html", page=page, district=page.district, signatories_page=SIGNATORIES_PAGE
    )


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


def _show_csv(page: DistrictPage) -> Response:
    """Stream every statement from a district and the districts below it, newest first, as CSV."""
    query = reads.districts.statements_in(page.below).order_by(
        *reads.districts.DISTRICT_STATEMENT_ORDERS["date"]
    )
    rows = csv_rows.listed_statements(page.session, query, links.record_urls("statements.show"))
    name = ["district", page.node.key, "statements"]
    return downloads.csv_response(csv_layouts.STATEMENTS, rows, name)
