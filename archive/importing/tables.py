"""The CSV tables: their columns, and how their rows map onto fields.

The import reads these tables and the export writes them, so the column names are one
contract. A *record table* holds one record per row (statements.csv); a *part table* holds
one item of a record's list per row (translations.csv: a statement's translations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
class Table:
    """A CSV table of the archive."""

    name: str
    kind: str  # the kind of record its rows make, or belong to
    columns: tuple[Column, ...]
    part: str | None = None  # for a part table: the record field its rows fill
    item: Callable[[dict[str, Any]], Any] | None = None  # a part row -> one list item

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Return the columns that name the record a row belongs to."""
        return tuple(column.name for column in self.columns if column.required)


def _c(name: str, field: str | None, description: str, required: bool = False) -> Column:
    return Column(name, field, description, required)


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


KEY = "the record's permanent key"
# The columns that name the record a row of a part table belongs to, by the record's kind.
OWNERS: dict[str, tuple[Column, ...]] = {
    "district": (_c("district_key", "key", "key of the district", True),),
    "person": (_c("person_key", "key", "key of the person", True),),
    "statement": (_c("statement_key", "key", "key of the statement", True),),
    "signature": (
        _c("statement_key", "statement", "key of the statement", True),
        _c("person_key", "person", "key of the person", True),
    ),
    "event": (_c("event_key", "key", "key of the event", True),),
}
NAME_COLUMNS = (
    _c("language", None, "language code of the name; empty for a variant spelling"),
    _c("name", None, "the name"),
)


def _part(
    name: str, kind: str, part: str, item: Callable[[dict[str, Any]], Any], *columns: Column
) -> Table:
    """Return a part table: its record's key columns, then the columns of one list item."""
    return Table(name, kind, (*OWNERS[kind], *columns), part=part, item=item)


TABLES: tuple[Table, ...] = (
    Table(
        "districts",
        "district",
        (
            _c("key", "key", "district key: its ancestors' keys and its own, joined by /", True),
            _c("name", "name", "name in English or the usual Latin spelling"),
            _c(
                "kind",
                "kind",
                "country, region, federal_city, city, district, municipal_okrug, town or other",
            ),
            _c("parent_key", "parent", "key of the district it lies in"),
        ),
    ),
    _part("district_names", "district", "names", _name_item, *NAME_COLUMNS),
    Table(
        "people",
        "person",
        (
            _c("key", "key", KEY, True),
            _c("name", "name", "display name"),
            _c("description", "description", "who the person is"),
        ),
    ),
    _part("aliases", "person", "names", _name_item, *NAME_COLUMNS),
    Table(
        "sources",
        "source",
        (
            _c("key", "key", KEY, True),
            _c("url", "url", "address of the source"),
            _c("kind", "kind", "news, social_media_post, official_document, primary_text or other"),
            _c("publisher", "publisher", "who published it"),
            _c("author", "author", "who wrote it"),
            _c("title", "title", "its title"),
            _c("published", "published", "date published (YYYY, YYYY-MM or YYYY-MM-DD)"),
            _c("accessed", "accessed", "date the archive read it"),
            _c("archive_url", "archive_url", "address of an archived copy"),
            _c("cites_key", "cites", "key of the source it cites"),
            _c("capture_sha256", "capture_sha256", "SHA-256 of the captured text (UTF-8)"),
            _c("capture_text", "capture_text", "the source's text as captured"),
        ),
    ),
    Table(
        "statements",
        "statement",
        (
            _c("key", "key", KEY, True),
            _c("title", "title", "title"),
            _c("kind", "kind", "open_letter, petition, resolution, appeal, statement or other"),
            _c("date", "date", "date made public (YYYY, YYYY-MM or YYYY-MM-DD)"),
            _c("date_precision", None, "year, month or day: how much of the date is known"),
            _c("language", "language", "language code of the original text"),
            _c("addressee", "addressee", "to whom it is addressed"),
            _c(
                "reported_signatories",
                "reported_signatories",
                "number of signatories that sources report (may exceed those named)",
            ),
            _c("demands", "demands", "what it demands: tags separated by ;"),
            _c("summary", "summary", "a short summary"),
            _c("text", "text", "the full text in the original language"),
        ),
    ),
    _part(
        "statement_districts",
        "statement",
        "districts",
        _district_item,
        _c("district_key", None, "key of a district where its signatories hold office"),
    ),
    _part(
        "translations",
        "statement",
        "translations",
        _translation_item,
        _c("language", None, "language code of the translation"),
        _c("text", None, "the translated text"),
        _c("translator", None, "who translated it"),
        _c("source_key", None, "key of the source the translation comes from"),
    ),
    _part(
        "statement_sources",
        "statement",
        "sources",
        _source_item,
        _c("source_key", None, "key of a source for the statement"),
    ),
    Table(
        "signatures",
        "signature",
        (
            *OWNERS["signature"],
            _c("position", "position", "place of the name in the statement's list"),
            _c("role", "role", "office or role held at the time"),
            _c("district_key", "district", "key of the district where the role is held"),
            _c("stance", "stance", "signed, authored, voted_for, abstained or withdrawn"),
            _c("withdrawn", "withdrawn", "date the signature was withdrawn or found false"),
            _c("withdrawal_source_key", "withdrawal_source", "key of the source of the withdrawal"),
            _c("note", "note", "remarks"),
        ),
    ),
    _part(
        "signature_sources",
        "signature",
        "sources",
        _source_item,
        _c("source_key", None, "key of a source for the signature"),
    ),
    Table(
        "events",
        "event",
        (
            _c("key", "key", KEY, True),
            _c("date", "date", "date it happened (YYYY, YYYY-MM or YYYY-MM-DD)"),
            _c(
                "kind", "kind", "what happened: summoned, interrogated, charged, fined, detained..."
            ),
            _c("statement_key", "statement", "key of the statement it followed"),
            _c("description", "description", "what happened, in words"),
        ),
    ),
    _part(
        "event_people",
        "event",
        "people",
        _person_item,
        _c("person_key", None, "key of a person it happened to"),
    ),
    _part(
        "event_sources",
        "event",
        "sources",
        _source_item,
        _c("source_key", None, "key of a source for the event"),
    ),
)
TABLES_BY_NAME = {table.name: table for table in TABLES}
