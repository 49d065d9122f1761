"""The whole archive for download: the codebook page, the zip, each table, the data package."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template

from archive.data import revisions
from archive.export import dialects, package
from archive.importing.tables import TABLES, TABLES_BY_NAME, Table
from archive.web import csv_layouts, downloads
from archive.web.context import get_session
from archive.web.csv_layouts import Layout

bp = Blueprint("exports", __name__)

# The name every download of the whole archive starts with.
PACKAGE = "dissent-archive"
# What each table holds, for the codebook.
TABLE_DESCRIPTIONS = {
    "districts": "The places where signatories hold office, as a tree (one row per district).",
    "district_names": "Each district's names in other languages and its variant spellings.",
    "people": "The signatories (one row per person).",
    "aliases": "Each person's names in other scripts and their variant spellings.",
    "sources": "Where the facts come from: articles, posts, documents (one row per source).",
    "statements": "The open letters, petitions, resolutions and appeals (one row per statement).",
    "statement_districts": "The districts where each statement's signatories hold office.",
    "translations": "Translations of the statements' texts.",
    "statement_sources": "The sources for each statement.",
    "signatures": "Each person's part in a statement (one row per signature).",
    "signature_sources": "The sources for each signature.",
    "events": "What happened afterwards: summons, charges, fines, detentions...",
    "event_people": "The people each event happened to.",
    "event_sources": "The sources for each event.",
}
CODEBOOK = Layout(
    "codebook",
    "the codebook of the tables (/export/codebook.csv)",
    (
        ("table", "name of the table (its file is <table>.csv)"),
        ("column", "name of the column"),
        ("type", "string or integer"),
        ("required", "yes when every row has a value"),
        ("pattern", "the regular expression every value matches, if any"),
        ("description", "what the column holds"),
        csv_layouts.VERSION_COLUMN,
    ),
)


def codebook_fields(table: Table) -> list[dict[str, Any]]:
    """Return the columns of a table with their types, constraints and descriptions."""
    fields = []
    for field in package.field_schema(table):
        constraints = field.get("constraints", {})
        fields.append(
            {
                "name": field["name"],
                "type": field["type"],
                "required": bool(constraints.get("required")),
                "pattern": constraints.get("pattern"),
                "minimum": constraints.get("minimum"),
                "description": field["description"],
            }
        )
    return fields


@bp.get("/export")
def index() -> str:
    """Show what can be downloaded, the two CSV dialects and the codebook of every table."""
    tables = [
        {
            "table": table,
            "description": TABLE_DESCRIPTIONS.get(table.name, ""),
            "fields": codebook_fields(table),
            "schema": package.table_schema(table),
        }
        for table in TABLES
    ]
    session = get_session()
    return render_template(
        "export.html",
        version=revisions.dataset_version(session),
        chain_head=revisions.chain_head(session),
        tables=tables,
        layouts=csv_layouts.LAYOUTS,
    )


@bp.get("/export.zip")
def archive_zip() -> Response:
    """Stream the whole archive as one zip: every table and datapackage.json."""
    session, version = downloads.own_version()
    spreadsheet = downloads.flag("excel")
    created = datetime.now(UTC)
    body = package.stream_zip(session, created, spreadsheet)
    name = downloads.file_name([PACKAGE], version, spreadsheet, "zip")
    return downloads.stream_response(
        body, "application/zip", name, version, session, attachment=True, exported=created
    )


@bp.get("/export/datapackage.json")
def datapackage() -> Response:
    """Answer the data package describing the tables, whose paths lie beside it here."""
    session = get_session()
    version = revisions.dataset_version(session)
    described = package.datapackage(version, revisions.chain_head(session), datetime.now(UTC))
    body = json.dumps(described, indent=2, ensure_ascii=False) + "\n"
    response = Response(body, content_type="application/json")
    name = downloads.file_name([PACKAGE, "datapackage"], version, False, "json")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["X-Dataset-Version"] = str(version)
    response.headers["X-Export-Time"] = described["created"]
    return response


@bp.get("/export/codebook.csv")
def codebook_csv() -> Response:
    """Answer the codebook of every table as CSV: one row per column."""
    rows = (
        {
            **field,
            "table": table.name,
            "column": field["name"],
            "required": "yes" if field["required"] else "no",
        }
        for table in TABLES
        for field in codebook_fields(table)
    )
    return downloads.csv_response(CODEBOOK, rows, [PACKAGE, "codebook"])


@bp.get("/export/<table>.csv")
def table_csv(table: str) -> Response:
    """Stream one table of the archive, exactly as it is in the zip."""
    if table not in TABLES_BY_NAME:
        abort(404, description=f"The archive has no table {table!r}.")
    session, version = downloads.own_version()
    spreadsheet = downloads.flag("excel")
    body = dialects.table_csv(session, table, spreadsheet)
    name = downloads.file_name([PACKAGE, table], version, spreadsheet, "csv")
    return downloads.stream_response(body, downloads.CSV_TYPE, name, version, session)
