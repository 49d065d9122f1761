"""The home page."""

from __future__ import annotations

from flask import Blueprint, render_template

from archive import queries
from archive.db import get_session

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Show the archive's counts and its latest statements."""
    session = get_session()
    return render_template(
        "home.html",
        counts=queries.counts(session),
        latest=queries.latest_statements(session, limit=10),
    )
