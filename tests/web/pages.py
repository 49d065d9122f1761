"""Helpers for the page tests: parse pages and check their rules, fetch JSON, import records,
record the SQL a request runs."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from sqlalchemy import event

from archive.data.database import Database
from archive.importing import importer

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Inputs that are buttons or hidden, and so need no label.
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Node:
    """An element of a parsed page."""

    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        """Return the text inside the element, whitespace collapsed."""
        return " ".join(self.raw_text().split())

    def raw_text(self) -> str:
        """Return the text inside the element as a browser has it (for <pre>)."""
        text = "".join(c if isinstance(c, str) else c.raw_text() for c in self.children)
        # HTML ignores a newline right after <pre>'s start tag; Python's parser keeps it.
        return text.removeprefix("\n") if self.tag == "pre" else text

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        """Return the elements below this one with the tag and attribute values, in order."""
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and all(child.attrs.get(k) == v for k, v in attrs.items()):
                    found.append(child)
                found += child.find_all(tag, **attrs)
        return found

    def with_class(self, tag: str, name: str) -> list[Node]:
        """Return the elements below this one with the tag and one class ``name``."""
        return [n for n in self.find_all(tag) if name in (n.attrs.get("class") or "").split()]

    def links(self) -> list[tuple[str, str]]:
        """Return the (href, text) of every link below this element."""
        return [(a.attrs.get("href") or "", a.text()) for a in self.find_all("a")]

    def terms(self) -> dict[str, str]:
        """Return the terms of a description list and their descriptions, as text."""
        dts, dds = self.find_all("dt"), self.find_all("dd")
        assert len(dts) == len(dds), "a term without a description"
        return {dt.text(): dd.text() for dt, dd in zip(dts, dds, strict=True)}

    def elements(self) -> list[Node]:
        """Return the child elements."""
        return [child for child in self.children if isinstance(child, Node)]

    def walk(self) -> list[Node]:
        """Return this element and every element below it."""
        nodes = [self]
        for child in self.children:
            if isinstance(child, Node):
                nodes += child.walk()
        return nodes


class _TreeBuilder(HTMLParser):
    """Builds a tree of Nodes, failing on an end tag that closes the wrong element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [Node("document")]
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        assert len(attrs) == len(node.attrs), f"<{tag}> repeats an attribute"
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    """Parse a page, checking that every element is closed where it was opened."""
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.doctype, "no <!doctype html>"
    assert len(builder.stack) == 1, "unclosed elements"
    return builder.stack[0]


def check_page(page: str) -> Node:
    """Parse a page and assert the rules every page keeps; return its tree."""
    document = parse(page)
    nodes = document.walk()[1:]
    assert len(document.find_all("h1")) == 1, "a page has one h1"
    ids = Counter(n.attrs["id"] for n in nodes if n.attrs.get("id"))
    assert not [i for i, n in ids.items() if n > 1], f"duplicate ids: {ids}"
    for node in nodes:
        assert "style" not in node.attrs and node.tag != "style", f"inline style on <{node.tag}>"
        assert not [a for a in node.attrs if a.startswith("on")], f"handler on <{node.tag}>"
        assert node.tag != "script" or node.attrs.get("src"), "an inline <script>"
        for name in ("aria-labelledby", "for"):
            if node.attrs.get(name):
                assert node.attrs[name] in ids, f"{name} names a missing id"
    _check_labels(document, nodes)
    return document


def _check_labels(document: Node, nodes: list[Node]) -> None:
    """Assert that every form field has a label or an accessible name."""
    labelled = {label.attrs.get("for") for label in document.find_all("label")}
    for node in nodes:
        if node.tag not in ("input", "select", "textarea"):
            continue
        if node.attrs.get("type") in UNLABELLED_TYPES or node.attrs.get("aria-label"):
            continue
        assert node.attrs.get("id") in labelled, f"unlabelled <{node.tag}>"


def get_page(client: Any, url: str) -> Node:
    """Return the parsed tree of a page that must answer 200 and keep the rules."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/html"
    return check_page(response.get_data(as_text=True))


def get_json(client: Any, url: str, status: int = 200) -> Any:
    """Return the parsed JSON of an answer with the given status."""
    response = client.get(url)
    assert response.status_code == status, url
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def import_records(db: Database, folder: Path, **lists: list[Any]) -> None:
    """Import lists of records (statements=[...], sources=[...]) through the importer."""
    path = folder / f"records-{len(list(folder.glob('records-*.json')))}.json"
    path.write_text(json.dumps({"format": "dissent-archive/1", **lists}), encoding="utf-8")
    importer.run(db, [path])


@contextmanager
def recorded_sql(db: Database) -> Iterator[list[str]]:
    """Yield a list that collects every SQL statement the database runs meanwhile."""
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def tables_read(statements: list[str]) -> list[set[str]]:
    """Return the tables read by each statement that reads any (in its FROM and JOIN clauses)."""
    found = [set(re.findall(r'\b(?:FROM|JOIN)\s+"?(\w+)', s, re.IGNORECASE)) for s in statements]
    return [tables for tables in found if tables]
