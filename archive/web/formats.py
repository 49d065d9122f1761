"""One view, many formats: a page's view builds its data once, and the URL's extension picks
the renderer (Datasette's table view is the model).

A page registered with :func:`page` answers at its rule as HTML, and at the same rule with
``.json`` or ``.csv`` appended as its JSON and CSV twins: one view serves all three, told the
format by the ``fmt`` argument of the URL. It hands the page's data to :func:`respond` with a
renderer for each format, so the page and its twins cannot drift apart and a new page gets its
twins for free. A part of the data that only some formats show is best read lazily
(``functools.cached_property``): the CSV of a list needs no page of it, nor its count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue

from archive.web import links
from archive.web.listing import Listing

HTML = "html"
TWINS = ("json", "csv")
# A page's twins are its own rule with the extension of their format.
TWIN_RULE = f".<any({', '.join(TWINS)}):fmt>"

Data = TypeVar("Data")
View = TypeVar("View", bound=Callable[..., ResponseReturnValue])


def page(bp: Blueprint, rule: str) -> Callable[[View], View]:
    """Register a view for the page at ``rule`` and for its twins at ``rule.json`` and
    ``rule.csv`` (one endpoint: url_for's ``fmt`` picks the twin)."""

    def register(view: View) -> View:
        """Route the page and its twins to ``view``, and the page with a trailing slash to a
        redirect to it."""
        bp.get(rule)(view)
        bp.get(rule + TWIN_RULE)(view)
        bp.get(rule + "/", endpoint=f"{view.__name__}_slash")(without_slash)
        return view

    return register


def without_slash(**_arguments: str) -> ResponseReturnValue:
    """Redirect a page's URL written with a trailing slash to the page itself, query and all
    (308: permanent, and a client asks again with the same method); a page that does not exist
    then answers 404 at its own URL."""
    return moved(request.script_root + request.path.rstrip("/"))


def moved(target: str) -> ResponseReturnValue:
    """Answer a permanent redirect (308: a client asks again with the same method) to the
    path ``target``, with the request's query string."""
    query = request.query_string.decode("ascii", "replace")
    return redirect(f"{target}?{query}" if query else target, code=308)


def requested() -> str:
    """Return the format that the request's URL asks for: html, json or csv."""
    fmt: str = (request.view_args or {}).get("fmt", HTML)
    return fmt


def respond(
    fmt: str,
    data: Data,
    *,
    html: Callable[[Data], ResponseReturnValue],
    json: Callable[[Data], dict[str, Any]],
    csv: Callable[[Data], Response],
) -> ResponseReturnValue:
    """Render a page's data in the format its URL asks for: the HTML page, or a twin."""
    if fmt == "json":
        return jsonify(json(data))
    if fmt == "csv":
        return csv(data)
    return html(data)


def template(name: str) -> Callable[[Any], str]:
    """Return an HTML renderer that gives a page's data to the template ``name`` as ``page``."""
    return lambda data: render_template(name, page=data)


def render_list(name: str, listed: Listing, labels: Mapping[str, str], **context: Any) -> str:
    """Render one page of a list into the template ``name``: the page, the labels of its sort
    orders, the links to its twins (in the same order) and any further ``context``."""
    twins = links.list_twins(request.endpoint or "", listed.page, listed.orders)
    return render_template(name, page=listed.page, labels=labels, **twins, **context)
