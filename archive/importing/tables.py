"""The CSV tables: their columns, keys and references, and how their rows map onto fields.

The import reads these tables and the export writes them, so the column names are one
contract, written down as data in ``tables.json`` beside this module (the export's codebook
and data package are made from it). A *record table* holds one record per row
(statements.csv); a *part table* holds one item of a record's list per row (translations.csv:
a statement's translations).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.importing import fields

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    """A CSV column: its name, the record field it holds, and how to clean one cell."""

    name: str
    field: str | None  # None: derived on export, checked (not stored) on import
    description: str
    required: bool = False


@dataclass(frozen=True)
class Reference:
    """A foreign key of a table: its columns, and the table and columns they refer to."""

    columns: tuple[str, ...]
    table: str
    target: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A CSV table of the archive."""

    name: str
    kind: str  # the kind of record its rows make, or belong to
    columns: tuple[Column, ...]
    part: str | None = None  # for a part table: the record field its rows fill
    item: Callable[[dict[str, Any]], Any] | None = None  # a part row -> one list item
    primary_key: tuple[str, ...] = ()  # the columns that tell its rows apart, if any
    references: tuple[Reference, ...] = ()

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Return the columns that name the record a row belongs to."""
        return tuple(column.name for column in self.columns if column.required)


def _name_item(row: dict[str, Any]) -> Any:
    return (fields.language(row.get("language")), fields.name(row.get("name")))


def _translation_item(row: dict[str, Any]) -> Any:
    return fields.translation(
        {
            "language": row.get("language"),
            "text": row.get("text"),
            "translator": row.get("translator"),
            "source": row.get("source_key"),
        }
    )


def _source_item(row: dict[str, Any]) -> Any:
    return fields.key(row.get("source_key"))


def _district_item(row: dict[str, Any]) -> Any:
    return fields.district_key(row.get("district_key"))


def _person_item(row: dict[str, Any]) -> Any:
    return fields.key(row.get("person_key"))


def _merged_key_item(row: dict[str, Any]) -> Any:
    return fields.key(row.get("key"))


def _identifier_item(row: dict[str, Any]) -> Any:
    return fields.identifier({"scheme": row.get("scheme"), "value": row.get("value")})


# How a part table's row becomes one item of its record's list, by the "item" of tables.json.
ITEMS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "name": _name_item,
    "translation": _translation_item,
    "source": _source_item,
    "district": _district_item,
    "person": _person_item,
    "identifier": _identifier_item,
    "merged_key": _merged_key_item,
}
CONTRACT = Path(__file__).resolve().parent / "tables.json"


def _table(spec: dict[str, Any]) -> Table:
    """Return one table of tables.json as a :class:`Table`."""
    return Table(
        spec["name"],
        spec["kind"],
        tuple(
            Column(c["name"], c["field"], c["description"], c.get("required", False))
            for c in spec["columns"]
        ),
        part=spec.get("part"),
        item=ITEMS[spec["item"]] if "item" in spec else None,
        primary_key=tuple(spec.get("primaryKey", ())),
        references=tuple(
            Reference(
                tuple(f["fields"]), f["reference"]["resource"], tuple(f["reference"]["fields"])
            )
            for f in spec.get("foreignKeys", ())
        ),
    )


# The tables in the order the export writes them (parents before the tables referring to them).
TABLES: tuple[Table, ...] = tuple(
    _table(spec) for spec in json.loads(CONTRACT.read_text(encoding="utf-8"))["tables"]
)
TABLES_BY_NAME = {table.name: table for table in TABLES}
