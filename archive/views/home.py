"""The home page."""

from __future__ import annotations

from flask import Blueprint, render_template

from archive import queries
from archive.db import get_session
from archive.views import chart, links

bp = Blueprint("home", __name__)
bp.context_processor(links.template_helpers)

TOP_DISTRICTS = 10


@bp.get("/")
def index() -> str:
    """Show the archive's counts, latest statements, timeline and busiest districts."""
    session = get_session()
    dates = queries.statement_dates(session)
    return render_template(
        "home.html",
        counts=queries.counts(session),
        latest=queries.latest_statements(session, limit=10),
        dates=dates,
        chart=chart.month_chart(dates.months),
        top_districts=queries.top_districts(session, limit=TOP_DISTRICTS),
    )
