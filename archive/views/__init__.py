"""The web pages: one blueprint per area, and the error pages."""

from __future__ import annotations

from flask import Flask, render_template
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException

from archive.views import home, search


def init_app(app: Flask) -> None:
    """Register the blueprints and error handlers."""
    app.register_blueprint(home.bp)
    app.register_blueprint(search.bp)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(ProgrammingError, _database_unavailable)


def _http_error(error: HTTPException) -> tuple[str, int]:
    """Render an HTTP error as a page."""
    code = error.code or 500
    return render_template(
        "error.html", code=code, title=error.name, message=error.description
    ), code


def _database_unavailable(_error: Exception) -> tuple[str, int]:
    """Answer 503 when the database is missing, locked or not migrated."""
    message = (
        "The archive's database cannot be read right now. If it is new, run "
        "`archive migrate` and `archive demo`."
    )
    return render_template("error.html", code=503, title="Unavailable", message=message), 503
