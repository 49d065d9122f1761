"""The Frictionless data package of the export tables (their schemas, keys and references;
the export time is written in ``datapackage.json`` alone), and the zip that holds them all.

The tables and their columns are those of :mod:`archive.importing.tables`, which the import
reads, so an exported package imports back into an empty archive and exports again byte for
byte."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from archive.data.revisions import chain_head, dataset_version
from archive.export.dialects import table_csv
from archive.importing.tables import TABLES, Table

DATE_PATTERN = r"\d{4}(-\d{2}(-\d{2})?)?"
INTEGER_COLUMNS = {"position", "reported_signatories"}
DATE_COLUMNS = {"date", "published", "accessed", "withdrawn"}
# The data package.


def field_schema(table: Table) -> list[dict[str, Any]]:
    """Return the Frictionless field descriptors of a table: name, type, description."""
    fields = []
    for column in table.columns:
        field: dict[str, Any] = {"name": column.name, "description": column.description}
        if column.name in INTEGER_COLUMNS:
            field.update(type="integer", constraints={"minimum": 0})
        else:
            field["type"] = "string"
        if column.name in DATE_COLUMNS:
            field["constraints"] = {"pattern": DATE_PATTERN}
        # A key column may not be empty (Frictionless does not imply it from the primary key).
        if column.required or column.name in table.primary_key:
            field.setdefault("constraints", {})["required"] = True
        fields.append(field)
    return fields


def table_schema(table: Table) -> dict[str, Any]:
    """Return a table's Frictionless schema: fields, primary key and foreign keys."""
    schema: dict[str, Any] = {"fields": field_schema(table), "missingValues": [""]}
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    if table.references:
        schema["foreignKeys"] = [
            {
                "fields": list(ref.columns),
                "reference": {"resource": ref.table, "fields": list(ref.target)},
            }
            for ref in table.references
        ]
    return schema


def datapackage(
    version: int, head: str | None, created: datetime, spreadsheet: bool = False
) -> dict[str, Any]:
    """Return the datapackage.json of an export: every table, its codebook, the version and
    its chain head (archive.data.fixity: the digest that stands for the whole history up to
    the version, which a citation names too)."""
    return {
        "profile": "tabular-data-package",
        "name": "dissent-archive",
        "title": "Dissent archive",
        "version": f"{version}.0.0",
        "dataset_version": version,
        "chain_head": head,
        "created": created.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
        "resources": [_resource(table, spreadsheet) for table in TABLES],
    }


def _resource(table: Table, spreadsheet: bool) -> dict[str, Any]:
    return {
        "name": table.name,
        "path": f"{table.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig" if spreadsheet else "utf-8",
        "dialect": {
            "delimiter": ",",
            "lineTerminator": "\r\n",
            "quoteChar": '"',
            "doubleQuote": True,
            "header": True,
        },
        "schema": table_schema(table),
    }


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes are collected and handed on in chunks."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        """Tell the zip writer that bytes may be written here."""
        return True

    def write(self, data: Any) -> int:
        """Keep a chunk of the zip; return its length in bytes."""
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        """Return the bytes written since the last take, and forget them."""
        data, self.chunks = b"".join(self.chunks), []
        return data


# A fixed time for every member of the zip, so that its bytes depend on the data alone.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Deflate level 4, not zlib's default 6: at 200,000 signatures (120 MB of CSV) it compresses
# in 1.4 s instead of 4.0 (most of the export's time) to 24.1 MB instead of 21.3; level 2
# would save another 0.5 s for a zip of 27.6 MB.
ZIP_LEVEL = 4


def stream_zip(
    session: Session, created: datetime | None = None, spreadsheet: bool = False
) -> Iterator[bytes]:
    """Yield the whole archive as one zip: every table and datapackage.json, streaming."""
    sink = _Sink()
    version, head = dataset_version(session), chain_head(session)
    created = created or datetime.now(UTC)
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            info = zipfile.ZipInfo(f"{table.name}.csv", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            # The level is the member's (ZipInfo.compress_level from Python 3.13).
            info._compresslevel = ZIP_LEVEL  # type: ignore[attr-defined]
            with archive.open(info, mode="w") as member:
                for chunk in table_csv(session, table.name, spreadsheet):
                    member.write(chunk.encode("utf-8"))
                    yield sink.take()
        package = (
            json.dumps(
                datapackage(version, head, created, spreadsheet), indent=2, ensure_ascii=False
            )
            + "\n"
        )
        archive.writestr(zipfile.ZipInfo("datapackage.json", date_time=ZIP_TIME), package)
    yield sink.take()
