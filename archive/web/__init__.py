"""The web pages: one blueprint per area, and the error pages.

Every page that shows records has one view for its HTML and its JSON and CSV twins
(:mod:`archive.web.formats`). Views parse the request, call the read functions
(:mod:`archive.reads`, the search index) and render; the CSV twins stream
(:mod:`archive.web.downloads`) rows built in :mod:`archive.web.csv_rows`.

May import: every part of the archive but :mod:`archive.bench`. Of the parts, only the web,
the factory and command group beside them, and the benchmark (its comparison app) use Flask.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, current_app, render_template, request
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from archive.web import (
    districts,
    exports,
    filters,
    home,
    links,
    pagecache,
    people,
    search,
    sources,
    statements,
)

# Scripts and styles only from the archive's own files; nothing from another host.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# The sections in the site's navigation: (endpoint, label); those not registered are left out.
SECTIONS = (
    ("statements.index", "Statements"),
    ("people.index", "People"),
    ("districts.index", "Districts"),
    ("sources.index", "Sources"),
    ("search.results", "Search"),
    ("exports.index", "Export"),
)


def init_app(app: Flask) -> None:
    """Register the blueprints, error handlers, security headers and template helpers."""
    app.register_blueprint(home.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(statements.bp)
    app.register_blueprint(sources.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(districts.bp)
    app.register_blueprint(exports.bp)
    app.before_request(_refuse_nul)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    app.context_processor(links.template_helpers)
    app.add_template_filter(filters.date_text)
    app.add_template_filter(filters.signatory_count)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(ProgrammingError, _database_unavailable)


def _refuse_nul() -> None:
    """Answer 400 to a path with a NUL character: no key of the archive holds one (the import
    refuses them), and PostgreSQL refuses to compare one, which made `/statements/%00` a 500
    there. (Query parameters are cleaned by what reads them: a search drops the character.)"""
    if "\x00" in request.path:
        abort(400, description="The address contains a NUL character.")


def _security_headers(response: Response) -> Response:
    """Add the security headers to every response."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _template_globals() -> dict[str, Any]:
    """Give every template the site's sections and the dataset version (read once)."""
    sections = [(e, label) for e, label in SECTIONS if e in current_app.view_functions]
    return {"site_sections": sections, "dataset_version": pagecache.request_version}


def _http_error(error: HTTPException) -> tuple[str, int]:
    """Render an HTTP error as a page: the site's own, or, for a request werkzeug rejected
    before routing (a malformed Host header), a bare page that builds no URL (there is no URL
    adapter to build one with)."""
    code = error.code or 500
    page = "error.html" if _routed() else "bare_error.html"
    return render_template(page, code=code, title=error.name, message=error.description), code


def _routed() -> bool:
    """Tell whether the request reached the router: Flask keeps as the routing exception
    either a failed match (not found, wrong method, a redirect) or the rejection of the request
    before any URL could be matched or built."""
    rejected = request.routing_exception
    return rejected is None or isinstance(rejected, (NotFound, MethodNotAllowed, RequestRedirect))


def _database_unavailable(_error: Exception) -> tuple[str, int]:
    """Answer 503 when the database is missing, locked or not migrated."""
    message = (
        "The archive's database cannot be read right now. If it is new, run "
        "`archive migrate` and `archive demo`."
    )
    return render_template("error.html", code=503, title="Unavailable", message=message), 503
