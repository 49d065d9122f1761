"""Revisioned writes: every change to a record is compared with what is stored, written
only where it differs, and kept as a revision (before and after) in a changeset naming who made
it. The dataset version is the newest revision's id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from archive.data import fixity
from archive.data.batches import batched
from archive.data.models import (
    Changeset,
    Revision,
)
from archive.data.snapshots import MODELS, Record, Rows, snapshot
from archive.data.writes import (
    Ids,
    apply,
    insert_links,
    insert_new,
    insert_rows,
    set_self_references,
    table_of,
)

# The longest key (Keyed.key's column).
MAX_KEY = 200
# Rows per bulk insert of new records, which bounds the memory of one statement's parameters.
INSERT_CHUNK = 5000
# The order in which kinds are written, so that a record's references exist before it.
WRITE_ORDER = ("district", "source", "person", "statement", "signature", "event")


def record_key(kind: str, record: Mapping[str, Any]) -> str:
    """Return the natural key of a record (a signature's is statement/person)."""
    if kind == "signature":
        return f"{record['statement']}/{record['person']}"
    return str(record["key"])


def numbered_key(base: str, number: int) -> str:
    """Return the ``number``-th key of the family of ``base``: ``base`` itself for 1, else
    ``base-number`` (shortened to fit 200 characters): the keys of namesakes and of people
    split from another."""
    if number == 1:
        return base
    suffix = f"-{number}"
    return f"{base[: MAX_KEY - len(suffix)].rstrip('-')}{suffix}"


# What the tally counts for each action of a revision.
OUTCOMES = {"insert": "created", "update": "updated", "delete": "deleted"}

# How the dataset version is read: the id of the newest revision (None for an empty archive).
DATASET_VERSION = select(func.max(Revision.id))
# The newest revision's id and chain digest (no row for an empty archive).
NEWEST = select(Revision.id, Revision.chain_digest).order_by(Revision.id.desc()).limit(1)


# The kinds whose records have a name and other spellings of it (``names``, ``aliases``).
NAMED_KINDS = ("person", "district")


def keep_former_name(before: Record, after: Record) -> Record:
    """Return ``after`` with the name ``before`` had kept among its aliases when the name
    changes (unless it is still a name in a language), so that a new spelling never loses the
    old one: "Фёдор Ложкин" renamed "Федор Ложкин" keeps "Фёдор Ложкин" as an alias. The new
    name is not also an alias."""
    former, name = before["name"], after["name"]
    if former == name:
        return after
    kept = set(after["aliases"]) - {name}
    if former not in after["names"].values():
        kept.add(former)
    return {**after, "aliases": sorted(kept)}


def absorb(record: Mapping[str, Any], given: Mapping[str, Any]) -> Record:
    """Return the whole person ``record`` with what ``given`` (some or all fields of a person)
    adds, renaming nothing: a new name, or a name in a language the person already has another
    name in, becomes an alias; aliases and identifiers are added; a description only where
    there is none. An inline person matched to a stored one, and a person merged into
    another, are absorbed so."""
    names = dict(record["names"])
    aliases = set(record["aliases"])
    spellings = [given.get("name"), *given.get("aliases", [])]
    for language, name in given.get("names", {}).items():
        if names.setdefault(language, name) != name:
            spellings.append(name)
    known = {record["name"], *names.values()}
    aliases |= {name for name in spellings if name is not None and name not in known}
    identifiers = list(record["identifiers"])
    identifiers += [i for i in given.get("identifiers", []) if i not in identifiers]
    return {
        **record,
        "names": dict(sorted(names.items())),
        "aliases": sorted(aliases),
        "identifiers": sorted(identifiers, key=lambda i: (i["scheme"], i["value"])),
        "description": record["description"] or given.get("description"),
    }


def dataset_version(db: Session | Connection) -> int:
    """Return the dataset version: the id of the newest revision (0 for an empty archive).

    A connection reads it at a third of a session's cost (the page cache does, every request).
    """
    return db.scalar(DATASET_VERSION) or 0


def chain_head(session: Session) -> str | None:
    """Return the chain head: the newest revision's chain digest, which stands for the whole
    history up to the dataset version (None for an empty archive; archive.data.fixity)."""
    newest = session.execute(NEWEST).first()
    return newest.chain_digest if newest is not None else None


def existing_keys(session: Session, kind: str, keys: Iterable[str]) -> set[str]:
    """Return which of ``keys`` name stored records of ``kind``."""
    model = MODELS[kind]
    wanted = sorted(set(keys))
    found: set[str] = set()
    for chunk in batched(wanted):
        found.update(session.scalars(select(model.key).where(model.key.in_(chunk))))
    return found


@dataclass
class Tally:
    """What a write did, per kind: created, updated, unchanged, deleted."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, kind: str, outcome: str) -> None:
        """Count one outcome for one kind."""
        per_kind = self.counts.setdefault(kind, {})
        per_kind[outcome] = per_kind.get(outcome, 0) + 1

    def changed(self) -> int:
        """Return how many records were created, updated or deleted."""
        return sum(
            n
            for per_kind in self.counts.values()
            for outcome, n in per_kind.items()
            if outcome != "unchanged"
        )


@dataclass
class Writer:
    """Writes records in one transaction, with a changeset and a revision per change.

    New records go in as plain bulk inserts; stored ones are loaded in chunks, compared as
    whole records and changed through the ORM only where they differ.
    """

    session: Session
    actor: str
    # Each kind's whole record with every field at its default: a new record is completed
    # from it, a stored one from its snapshot (the import format's defaults).
    defaults: Mapping[str, Record]
    summary: str | None = None
    rows: Rows = field(init=False)
    ids: Ids = field(init=False)
    tally: Tally = field(default_factory=Tally)
    changeset_id: int | None = None
    next_revision: int | None = None  # the number the next revision takes
    chain: str | None = None  # the chain digest of the newest revision written or stored

    def __post_init__(self) -> None:
        self.rows = Rows(self.session)
        self.ids = Ids(self.session)

    def revise(self, kind: str, changes: list[tuple[str, str, Any, Any]]) -> None:
        """Write a revision (key, action, before, after) for every change, in one insert, in
        the writer's changeset (made with the first).

        Revisions are numbered here, one after the newest stored, not by the database's
        sequence: the writer holds the write lock (archive.data.database), so no other
        transaction numbers at the same time, and a transaction that fails or is killed
        leaves no hole in the dataset versions (a PostgreSQL sequence would keep its values
        used). Each revision gets its content and chain digests (archive.data.fixity), the
        chain continuing from the newest stored revision's, read under the same lock.
        """
        if not changes:
            return
        if self.next_revision is None:
            newest = self.session.execute(NEWEST).first()
            self.next_revision = newest.id + 1 if newest is not None else 1
            self.chain = newest.chain_digest if newest is not None else None
        first, self.next_revision = self.next_revision, self.next_revision + len(changes)
        if self.changeset_id is None:
            self.changeset_id = insert_rows(
                self.session,
                table_of(Changeset),
                [
                    {
                        "created_at": datetime.now(UTC).replace(tzinfo=None),
                        "actor": self.actor,
                        "summary": self.summary,
                    }
                ],
            )[0]
        rows = []
        for number, (key, action, before, after) in enumerate(changes, first):
            content = fixity.content_digest(number, self.actor, kind, key, action, before, after)
            self.chain = fixity.chain_digest(self.chain, number, content)
            rows.append(
                {
                    "id": number,
                    "changeset_id": self.changeset_id,
                    "record_type": kind,
                    "record_key": key,
                    "action": action,
                    "before": before,
                    "after": after,
                    "content_digest": content,
                    "chain_digest": self.chain,
                }
            )
        insert_links(self.session, table_of(Revision), rows)
        for _key, action, _before, _after in changes:
            self.tally.add(kind, OUTCOMES.get(action, "deleted"))

    def write(self, kind: str, given: Iterable[Mapping[str, Any]]) -> None:
        """Create or update records of one kind; a record equal to the stored one is left.

        New records go in chunk by chunk; references within the kind and changes to stored
        records follow once every new record of the kind is in, so records may point at each
        other in any order (a district's parent, a source it cites).
        """
        keyed = [(record_key(kind, record), record) for record in given]
        changed: list[tuple[str, Any, Record | None, Record]] = []
        pointing: list[tuple[int, str]] = []
        for chunk in batched(keyed, INSERT_CHUNK):
            new = self._sort_chunk(kind, chunk, changed)
            pointing += insert_new(self.session, self.ids, kind, new)
            self.revise(kind, [(key, "insert", None, after) for key, after in new])
        set_self_references(self.session, self.ids, kind, pointing)
        with self.session.no_autoflush:
            for key, row, _before, _after in changed:
                self.rows.add(kind, key, row)
            for _key, row, _before, after in changed:
                apply(kind, row, after, self.rows)
        self.session.flush()
        self.revise(kind, [(key, "update", before, after) for key, _row, before, after in changed])

    def _sort_chunk(
        self,
        kind: str,
        keyed: list[tuple[str, Mapping[str, Any]]],
        changed: list[tuple[str, Any, Record | None, Record]],
    ) -> list[tuple[str, Record]]:
        """Return the new records of a chunk as whole records; add the stored ones that
        differ to ``changed``, and count those that do not."""
        stored = self.rows.load(kind, (key for key, _record in keyed))
        new: list[tuple[str, Record]] = []
        for key, record in keyed:
            row = stored.get(key)
            before = snapshot(kind, row) if row is not None else None
            after = {**(before or self.defaults[kind]), **record}
            if before is not None and kind in NAMED_KINDS:
                after = keep_former_name(before, after)
            if row is None:
                new.append((key, after))
            elif after == before:
                self.tally.add(kind, "unchanged")
            else:
                changed.append((key, row, before, after))
        return new

    def delete(self, kind: str, key: str) -> None:
        """Delete a stored record (a signature no longer listed, a person merged into
        another), keeping its last state in a revision."""
        row = self.rows.get(kind, key)
        if row is None:
            return
        before = snapshot(kind, row)
        self.session.delete(row)
        self.session.flush()
        self.rows.cache[kind, key] = None
        self.revise(kind, [(key, "delete", before, None)])
