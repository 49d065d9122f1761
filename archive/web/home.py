"""The home page."""

from __future__ import annotations

from flask import Blueprint, render_template

from archive import reads
from archive.web import chart, pagecache
from archive.web.context import get_session

bp = Blueprint("home", __name__)

LATEST = 10
TOP_DISTRICTS = 10


@bp.get("/")
def index() -> str:
    """Show the archive's counts, latest statements, timeline and busiest districts."""
    return pagecache.cached(render)


def render() -> str:
    """Render the home page."""
    summary = reads.home.overview(get_session(), latest=LATEST, districts=TOP_DISTRICTS)
    return render_template(
        "home.html",
        counts=summary.counts,
        latest=summary.latest,
        dates=summary.dates,
        chart=chart.month_chart(summary.dates.months),
        top_districts=summary.top_districts,
    )
