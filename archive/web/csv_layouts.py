"""The layouts of the CSV twins: their columns and what each holds.

A twin's columns are a contract with the researchers who read it: stable snake_case names, each
described (the codebook on ``/export`` lists them), always ending with the dataset version. The
rows that fill them are built in :mod:`archive.web.csv_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.importing.tables import TABLES_BY_NAME


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of CSV twin, with their descriptions, and where it is used."""

    name: str
    used_by: str
    columns: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if self.columns[-1][0] != "dataset_version":
            raise ValueError(f"the {self.name} layout must end with dataset_version")

    @property
    def header(self) -> list[str]:
        """Return the column names, ending with dataset_version."""
        return [name for name, _ in self.columns]


def _table(table: str, *names: str) -> tuple[tuple[str, str], ...]:
    """Return columns of an export table with the descriptions that tables.py gives them."""
    described = {column.name: column.description for column in TABLES_BY_NAME[table].columns}
    return tuple((name, described[name]) for name in names)


VERSION_COLUMN = (
    "dataset_version",
    "the dataset version the file was exported from (the same in every row)",
)
STATEMENTS = Layout(
    "statements",
    "search results (/search.csv), the statements list (/statements.csv) and the statements "
    "from a district and the districts below it (/districts/<key>.csv)",
    (
        ("key", "the statement's permanent key"),
        ("url", "address of the statement's page in the archive"),
        *_table("statements", "title", "date", "date_precision", "kind", "language", "demands"),
        *_table("statements", "addressee", "reported_signatories"),
        ("named_signatories", "number of signatories the archive names"),
        ("districts", "keys of the districts where its signatories hold office, separated by ;"),
        ("district_names", "names of those districts, in the same order, separated by ;"),
        ("publishers", "publishers of its sources, separated by ;"),
        ("sources", "keys of its sources, separated by ;"),
        *_table("statements", "summary"),
        VERSION_COLUMN,
    ),
)
SIGNATURES = Layout(
    "signatures",
    "the signatures of the statements found (/search.csv?rows=signatures), of one statement "
    "(/statements/<key>.csv) and of one person (/people/<key>.csv), one row per signature",
    (
        ("statement_key", "key of the statement"),
        ("statement_title", "title of the statement"),
        ("statement_date", "date of the statement (YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("person_key", "key of the person"),
        ("person_name", "display name of the person"),
        *_table("signatures", "position", "role", "district_key"),
        ("district_name", "name of that district"),
        *_table("signatures", "stance", "withdrawn", "withdrawal_source_key", "note"),
        ("sources", "keys of the sources for the signature, separated by ;"),
        VERSION_COLUMN,
    ),
)
PEOPLE = Layout(
    "people",
    "the list of people (/people.csv)",
    (
        ("key", "the person's permanent key"),
        ("url", "address of the person's page in the archive"),
        *_table("people", "name", "description"),
        ("statements", "number of statements the person is part of"),
        VERSION_COLUMN,
    ),
)
CANDIDATES = Layout(
    "candidates",
    "the candidates list of people who may be one person (/people/candidates.csv)",
    (
        ("rank", "place in the list, best first"),
        ("score", "from 0 to 1: how likely the two are one person"),
        ("person_key", "the key of the first person (the smaller key)"),
        ("person_name", "the first person's display name"),
        ("other_key", "the key of the second person"),
        ("other_name", "the second person's display name"),
        ("reasons", "why they may be one person, and what speaks against it, separated by ;"),
        VERSION_COLUMN,
    ),
)
DISTRICTS = Layout(
    "districts",
    "the district tree (/districts.csv), depth first",
    (
        *_table("districts", "key"),
        ("url", "address of the district's page in the archive"),
        *_table("districts", "name", "kind", "parent_key"),
        ("depth", "how deep in the tree it lies (0 for a country)"),
        ("statements", "number of statements from it and the districts below it"),
        ("signatories", "number of named signatories holding office in it or below it"),
        VERSION_COLUMN,
    ),
)
SOURCES = Layout(
    "sources",
    "the list of sources (/sources.csv)",
    (
        ("key", "the source's permanent key"),
        ("page_url", "address of the source's page in the archive"),
        *_table("sources", "url", "kind", "publisher", "author", "title", "published"),
        *_table("sources", "accessed", "archive_url", "cites_key", "capture_sha256"),
        VERSION_COLUMN,
    ),
)
CITING = Layout(
    "citing",
    "the records citing one source (/sources/<key>.csv): statements, then signatures, then events",
    (
        ("record_type", "statement, signature or event"),
        ("date", "date of the statement, or of the event"),
        ("statement_key", "key of the statement (for an event: the statement it followed)"),
        ("statement_title", "title of that statement"),
        ("person_key", "key of the signatory, or of the people an event concerns, separated by ;"),
        ("person_name", "their names, in the same order, separated by ;"),
        ("event_key", "key of the event"),
        ("event_kind", "what happened"),
        ("description", "the event in words"),
        (
            "cited_as",
            "how the record cites the source, separated by ;: source, withdrawal (a signature "
            "withdrawn on its word) or translation:<language> (a statement's translation)",
        ),
        VERSION_COLUMN,
    ),
)
LAYOUTS = (STATEMENTS, SIGNATURES, PEOPLE, CANDIDATES, DISTRICTS, SOURCES, CITING)
