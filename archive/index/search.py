"""The search index: its schema, records as documents, every write to it, every search of it.

The database is the truth and the index a cache of it. The revision log is the outbox: the
index stores the newest revision it reflects, and :func:`catch_up` applies the revisions after
it, under the index's write lock with a timeout, so that any number of processes can catch up
at once without losing an update or failing on a lock. Catching up runs after each write
transaction commits (never at flush time, so a rolled-back transaction leaves no trace), before
each search if the database has moved on, and at start-up. :func:`rebuild` builds a whole new
index beside the live one and switches to it atomically by rewriting the ``CURRENT`` pointer.

Statements and people are both documents, told apart by ``doctype``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec
from whoosh.collectors import FilterCollector, TimeLimit
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.query import And, AndNot, Every, Or, Phrase, Query, Term
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.util.numeric import byte_to_length

from archive import reads
from archive.data import migrations
from archive.data.batches import batched
from archive.data.database import Database
from archive.data.models import (
    Demand,
    District,
    DistrictName,
    Person,
    PersonName,
    Revision,
    Signature,
    Source,
    Statement,
    Translation,
    statement_districts,
    statement_sources,
)
from archive.data.revisions import dataset_version
from archive.index import analysis, querylang

log = logging.getLogger(__name__)

WRITE_LOCK_TIMEOUT = 30.0  # seconds to wait for another process's index writer
# After its own commit a writer waits longer: left behind, a large backlog would stay until
# someone runs ``archive reindex --catch-up`` (a search catches up only small ones).
COMMIT_LOCK_TIMEOUT = 600.0
# The most revisions a search catches up itself; a larger backlog (an import's) is left to the
# process that wrote it: applying it inside a request would outlast a worker's timeout.
SEARCH_CATCH_UP_LIMIT = 1000
# Seconds one search may take, all of it: expanding prefixes and fuzzy words, matching,
# ranking, people, suggestions. Ranking stops with what it found in time; matching stops
# with a note. Several expensive searches at once then cannot starve the other pages.
SEARCH_TIME_LIMIT = 1.0
MAX_EXPANSIONS = 64  # terms a prefix or fuzzy word may stand for
MAX_QUERY_EXPANSIONS = 128  # terms all the prefixes and fuzzy words of one query may stand for
# Postings a search may read, per document in the index: a word found in every statement
# reads about two (its text and its unstemmed words); a query over the budget (many common
# words, prefixes or fuzzy words) is refused at once instead of using up its time limit.
MAX_POSTINGS_PER_DOCUMENT = 4
MIN_RANKING_TIME = 0.05  # seconds ranking gets even when matching used up the search's time
META_ID = "meta"
# Bump when documents or the schema change shape: an index of another format is rebuilt.
DOCUMENT_FORMAT = 4
# Documents from which a new index is written by one process per core.
PARALLEL_FROM = 5_000
PER_PAGE = 20
MAX_PAGE = 1000

SCHEMA = Schema(
    id=ID(unique=True, stored=True),
    doctype=ID(stored=True),
    key=ID(stored=True),
    title=analysis.text_field(analysis.text_analyzer(), field_boost=3.0),
    text=analysis.text_field(analysis.text_analyzer()),
    words=analysis.text_field(analysis.plain_analyzer()),
    names=analysis.text_field(analysis.name_analyzer(), field_boost=3.0),
    districts=analysis.text_field(analysis.name_analyzer(), field_boost=1.5),
    source=analysis.text_field(analysis.text_analyzer()),
    demand=KEYWORD(commas=True, lowercase=True, stored=True),
    kind=ID(stored=True),
    lang=KEYWORD(commas=True, lowercase=True, stored=True),
    district_keys=KEYWORD(commas=True, stored=True),
    date=ID(stored=True, sortable=True),
    signatories=STORED(),
    digest=STORED(),
    version=NUMERIC(stored=True, bits=64),
    format=STORED(),
)
FILTERS = ("kind", "year", "district", "demand", "lang")


# Records as documents: one function for incremental sync and full rebuild alike.


class Districts:
    """The district tree, loaded once, with every name of every district."""

    def __init__(self, session: Session) -> None:
        self.tree = reads.districts.district_tree(session)
        self.names = {node.key: [node.name] for node in self.tree.by_id.values()}
        alternates = select(District.key, DistrictName.name).join(
            District, DistrictName.district_id == District.id
        )
        order = (DistrictName.language, DistrictName.name)
        for key, name in session.execute(alternates.order_by(*order)):
            self.names[key].append(name)

    def subtree(self, key: str) -> set[str]:
        """Return a district's key and every key below it."""
        node = self.tree.by_key.get(key)
        if node is None:
            return {key}
        return {below.key for below, _depth in self.tree.walk([node], "key")}


def _join(parts: Iterable[str | None]) -> str:
    return "\n".join(part for part in parts if part)


def _statement_document(
    row: Any, parts: _StatementParts, districts: Districts, sources: _Sources
) -> dict[str, Any]:
    statement_id = row.id
    signatures = parts.signatures.get(statement_id, [])
    district_keys = [*parts.districts.get(statement_id, [])]
    district_keys += [district for _person, district in signatures if district is not None]
    lineage = sorted({k for key in district_keys for k in districts.tree.lineage(key)})
    cited = sources.with_chains(parts.sources.get(statement_id, []))
    translations = parts.translations.get(statement_id, [])
    texts = [row.text, row.summary, row.addressee, *(text for _language, text in translations)]
    languages = {row.language} | {language for language, _text in translations}
    return {
        "id": f"statement:{row.key}",
        "doctype": "statement",
        "key": row.key,
        "title": row.title,
        "text": _join(texts),
        "words": _join([row.title, *texts]),
        "names": _join(parts.names[person] for person, _district in signatures),
        "districts": _join(name for key in lineage for name in districts.names.get(key, [])),
        "source": _join(sources.publisher.get(key) for key in cited),
        "demand": ",".join(parts.demands.get(statement_id, [])),
        "kind": row.kind,
        "lang": ",".join(sorted(lang for lang in languages if lang)),
        "district_keys": ",".join(lineage),
        "date": row.date or "",
        "signatories": [len(signatures), row.reported_signatories],
    }


def _person_document(
    row: Any, names: str, signatures: list[tuple[str | None, str | None]], districts: Districts
) -> dict[str, Any]:
    keys = {district for _role, district in signatures if district is not None}
    lineage = sorted({k for key in keys for k in districts.tree.lineage(key)})
    return {
        "id": f"person:{row.key}",
        "doctype": "person",
        "key": row.key,
        "title": row.name,
        "text": _join([row.description, *(role for role, _district in signatures)]),
        "words": _join([row.name, row.description]),
        "names": names,
        "districts": _join(name for key in lineage for name in districts.names.get(key, [])),
        "district_keys": ",".join(lineage),
        "signatories": [len(signatures), None],
    }


def _with_digest(document: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(document, sort_keys=True, ensure_ascii=False)
    document["digest"] = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return document


def documents(
    session: Session, doctype: str, keys: Iterable[str]
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Yield (key, document) for the records named; the document is None for a deleted record.

    Records are read in chunks as plain rows, a few queries per chunk (no ORM objects).
    """
    districts = Districts(session)
    sources = _Sources(session) if doctype == "statement" else None
    for chunk in batched(sorted(set(keys))):
        if sources is not None:
            found = _statement_documents(session, chunk, districts, sources)
        else:
            found = _people_documents(session, chunk, districts)
        for key in chunk:
            document = found.get(key)
            yield key, _with_digest(document) if document is not None else None


class _Sources:
    """Every source's publisher and the source it cites, read once."""

    def __init__(self, session: Session) -> None:
        cited = Source.__table__.alias()
        query = select(Source.key, Source.publisher, cited.c.key).outerjoin(
            cited, Source.cites_id == cited.c.id
        )
        self.publisher: dict[str, str | None] = {}
        self.cites: dict[str, str | None] = {}
        for key, publisher, cites in session.execute(query):
            self.publisher[key], self.cites[key] = publisher, cites

    def with_chains(self, keys: list[str]) -> list[str]:
        """Return the sources in key order, each followed along its chain of citations."""
        found = dict.fromkeys(keys)
        for key in keys:
            cited = self.cites.get(key)
            while cited is not None and cited not in found:
                found[cited] = None
                cited = self.cites.get(cited)
        return list(found)


@dataclass
class _StatementParts:
    """What a chunk of statements' documents need besides their own columns, by statement id."""

    districts: dict[int, list[str]]
    demands: dict[int, list[str]]
    translations: dict[int, list[tuple[str, str]]]
    sources: dict[int, list[str]]
    signatures: dict[int, list[tuple[int, str | None]]]  # (person id, district key)
    names: dict[int, str]  # every name of every signatory, by person id


def _grouped(session: Session, query: Any) -> dict[int, list[Any]]:
    """Group rows whose first column is an owner's id: {id: [rest of each row]}."""
    grouped: dict[int, list[Any]] = {}
    for owner, *rest in session.execute(query):
        grouped.setdefault(owner, []).append(rest[0] if len(rest) == 1 else tuple(rest))
    return grouped


def _statement_documents(
    session: Session, keys: list[str], districts: Districts, sources: _Sources
) -> dict[str, dict[str, Any]]:
    rows = session.execute(
        select(
            Statement.id,
            Statement.key,
            Statement.title,
            Statement.kind,
            Statement.date,
            Statement.language,
            Statement.text,
            Statement.summary,
            Statement.addressee,
            Statement.reported_signatories,
        ).where(Statement.key.in_(keys))
    ).all()
    ids = [row.id for row in rows]
    link = statement_districts.c
    signed = (
        select(Signature.statement_id, Signature.person_id, District.key)
        .outerjoin(District, Signature.district_id == District.id)
        .where(Signature.statement_id.in_(ids))
        .order_by(Signature.statement_id, Signature.position)
    )
    parts = _StatementParts(
        districts=_grouped(
            session,
            select(link.statement_id, District.key)
            .join(District, link.district_id == District.id)
            .where(link.statement_id.in_(ids)),
        ),
        demands=_grouped(
            session,
            select(Demand.statement_id, Demand.demand)
            .where(Demand.statement_id.in_(ids))
            .order_by(Demand.statement_id, Demand.position),
        ),
        translations=_grouped(
            session,
            select(Translation.statement_id, Translation.language, Translation.text)
            .where(Translation.statement_id.in_(ids))
            .order_by(Translation.statement_id, Translation.language),
        ),
        sources=_grouped(
            session,
            select(statement_sources.c.statement_id, Source.key)
            .join(Source, statement_sources.c.source_id == Source.id)
            .where(statement_sources.c.statement_id.in_(ids))
            .order_by(statement_sources.c.statement_id, Source.key),
        ),
        signatures=_grouped(session, signed),
        names={},
    )
    people = {person for signed in parts.signatures.values() for person, _district in signed}
    parts.names = _names_of_people(session, people)
    return {row.key: _statement_document(row, parts, districts, sources) for row in rows}


def _names_of_people(session: Session, people: Iterable[int]) -> dict[int, str]:
    """Return every name of each person (the name, then the others), one per line."""
    names: dict[int, list[str]] = {}
    for chunk in batched(sorted(people)):
        for person, name in session.execute(
            select(Person.id, Person.name).where(Person.id.in_(chunk))
        ):
            names[person] = [name]
        others = (
            select(PersonName.person_id, PersonName.name)
            .where(PersonName.person_id.in_(chunk))
            .order_by(PersonName.person_id, PersonName.language, PersonName.name)
        )
        for person, name in session.execute(others):
            names[person].append(name)
    return {person: _join(every) for person, every in names.items()}


def _people_documents(
    session: Session, keys: list[str], districts: Districts
) -> dict[str, dict[str, Any]]:
    rows = session.execute(
        select(Person.id, Person.key, Person.name, Person.description).where(Person.key.in_(keys))
    ).all()
    ids = [row.id for row in rows]
    names = _names_of_people(session, ids)
    signatures = _grouped(
        session,
        select(Signature.person_id, Signature.role, District.key)
        .outerjoin(District, Signature.district_id == District.id)
        .where(Signature.person_id.in_(ids))
        .order_by(Signature.person_id, Signature.id),
    )
    return {
        row.key: _person_document(row, names[row.id], signatures.get(row.id, []), districts)
        for row in rows
    }


def all_keys(session: Session) -> dict[str, list[str]]:
    """Return the keys of every statement and person."""
    return {
        "statement": list(session.scalars(select(Statement.key))),
        "person": list(session.scalars(select(Person.key))),
    }


def affected(session: Session, revisions: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Return the statements and people whose documents the given revisions change.

    Keys are gathered by kind first, so that a large import costs a few queries per chunk of
    keys rather than a few per record.
    """
    touched: dict[str, set[str]] = {"statement": set(), "person": set()}
    changed: dict[str, set[str]] = {"person": set(), "district": set(), "source": set()}
    for record_type, key in revisions:
        if record_type == "statement":
            touched["statement"].add(key)
        elif record_type == "signature":
            statement_key, person_key = key.split("/", 1)
            touched["statement"].add(statement_key)
            touched["person"].add(person_key)
        elif record_type in changed:
            changed[record_type].add(key)
    touched["person"] |= changed["person"]
    signed = (
        select(Statement.key)
        .join(Signature, Signature.statement_id == Statement.id)
        .join(Person, Signature.person_id == Person.id)
    )
    for chunk in batched(sorted(changed["person"])):
        touched["statement"].update(session.scalars(signed.where(Person.key.in_(chunk))))
    if changed["district"]:
        districts = Districts(session)
        within = set().union(*(districts.subtree(key) for key in changed["district"]))
        _touch_districts(session, within, touched)
    touched["statement"] |= _statements_citing(session, changed["source"])
    return touched


def _touch_districts(session: Session, keys: set[str], touched: dict[str, set[str]]) -> None:
    signed = (
        select(Statement.key, Person.key)
        .join(Signature, Signature.statement_id == Statement.id)
        .join(Person, Signature.person_id == Person.id)
        .join(District, Signature.district_id == District.id)
    )
    listed = (
        select(Statement.key)
        .join(statement_districts, statement_districts.c.statement_id == Statement.id)
        .join(District, statement_districts.c.district_id == District.id)
    )
    for chunk in batched(sorted(keys)):
        for statement_key, person_key in session.execute(signed.where(District.key.in_(chunk))):
            touched["statement"].add(statement_key)
            touched["person"].add(person_key)
        touched["statement"].update(session.scalars(listed.where(District.key.in_(chunk))))


def _statements_citing(session: Session, source_keys: set[str]) -> set[str]:
    """Return the statements that cite any of the sources, directly or along a chain."""
    sources, new = set(source_keys), set(source_keys)
    cited = Source.__table__.alias()
    citing = select(Source.key).join(cited, Source.cites_id == cited.c.id)
    while new:
        found: set[str] = set()
        for chunk in batched(sorted(new)):
            found.update(session.scalars(citing.where(cited.c.key.in_(chunk))))
        new = found - sources
        sources |= new
    listed = (
        select(Statement.key)
        .join(statement_sources, statement_sources.c.statement_id == Statement.id)
        .join(Source, statement_sources.c.source_id == Source.id)
    )
    statements: set[str] = set()
    for chunk in batched(sorted(sources)):
        statements.update(session.scalars(listed.where(Source.key.in_(chunk))))
    return statements


# The index on disk: generations in one folder, the live one named by CURRENT.


class SearchIndex:
    """The search index of one folder, kept in step with one database."""

    def __init__(self, folder: str | Path, database: Database) -> None:
        self.folder = Path(folder)
        self.database = database
        self._lock = threading.Lock()
        self._index: Any = None
        self._generation: str | None = None
        self._local = threading.local()
        # Each segment's per-document values, by segment id, for the searchers' columns.
        self.segments: dict[str, _SegmentColumns] = {}

    def _current(self) -> str | None:
        try:
            return (self.folder / "CURRENT").read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def open(self) -> Any:
        """Return the live Whoosh index, reopening it when another process switched it."""
        generation = self._current()
        if generation is None:
            raise whoosh_index.EmptyIndexError(f"no index in {self.folder}")
        with self._lock:
            if generation != self._generation:
                # Not memory-mapped: a mapped index is copied into every worker process.
                storage = FileStorage(str(self.folder / generation), supports_mmap=False)
                self._index = storage.open_index()
                self._generation = generation
            return self._index

    def searcher(self) -> Any:
        """Return this thread's searcher, refreshed (one per thread, reused across requests)."""
        index = self.open()
        current = getattr(self._local, "searcher", None)
        if current is not None and (
            self._local.index is not index
            or current.reader().generation() != index.latest_generation()
        ):
            # Not Searcher.refresh(): it reuses the old segment readers, so a refreshed
            # searcher still shows deleted documents and segments merged away.
            current.close()
            current = None
        if current is None:
            current = index.searcher(weighting=_BM25F())
        self._local.searcher, self._local.index = current, index
        return current

    def close(self) -> None:
        """Close this thread's searcher."""
        current = getattr(self._local, "searcher", None)
        if current is not None:
            current.close()
            self._local.searcher = None

    def version(self) -> int:
        """Return the dataset version the index reflects."""
        return _version_of(self.searcher())

    def ensure_current(self, wait: float = WRITE_LOCK_TIMEOUT, limit: int | None = None) -> str:
        """Rebuild a missing, unreadable or foreign index; catch up a stale one; say which.

        The catch-up waits ``wait`` seconds for another process's writer, and is skipped when
        more than ``limit`` revisions are missing.
        """
        seen = self._current() or ""  # the generation found unusable; "" for none
        try:
            meta = _meta(self.searcher())
            indexed = int(meta["version"])
            if meta.get("format") != DOCUMENT_FORMAT:
                raise whoosh_index.IndexVersionError("documents of another format", 0)
        except whoosh_index.EmptyIndexError:
            log.info("no search index in %s yet; building it", self.folder)
            self.rebuild(unless_switched_from=seen)
            return "rebuilt"
        except Exception as error:  # a truncated, corrupt or outdated index
            log.warning("search index unusable (%s); rebuilding", error)
            self.rebuild(unless_switched_from=seen)
            return "rebuilt"
        with self.database.session() as session:
            current = dataset_version(session)
        if indexed > current:  # the database was replaced by an older one
            self.rebuild(unless_switched_from=seen)
            return "rebuilt"
        if limit is not None and current - indexed > limit:
            return "stale"
        if indexed < current:
            self.catch_up(wait)
            return "caught up"
        return "current"

    def prepare(self) -> str:
        """Make the index usable at start-up, as every process does once.

        On a database at the newest migration, a missing, unreadable or outdated index is
        rebuilt and a stale one caught up (waiting up to WRITE_LOCK_TIMEOUT seconds for
        another process's writer); returns what was done (see :meth:`ensure_current`), or
        "not migrated" when the schema is not current (``archive migrate`` comes first).
        """
        if migrations.current_revision(self.database) != migrations.head_revision():
            return "not migrated"
        return self.ensure_current()

    def catch_up_after_commit(self) -> None:
        """Apply a committed write's revisions, waiting up to COMMIT_LOCK_TIMEOUT seconds for
        another writer; never raise (the database has committed, a later catch-up applies
        what this one could not)."""
        try:
            self.catch_up(wait=COMMIT_LOCK_TIMEOUT)
        except Exception:
            log.exception("search index could not catch up after a commit")

    def rebuild(self, unless_switched_from: str | None = None) -> int:
        """Build a new index beside the live one from the database, then switch to it.

        One process rebuilds at a time. Given the generation that looked unusable, a process
        that waited for another's rebuild uses that one instead of building its own.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "REBUILD.lock").open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if unless_switched_from not in (None, self._current() or ""):
                return self.version()
            return self._build()

    def _build(self) -> int:
        generation = f"gen-{time.time_ns():x}-{os.getpid()}"
        path = self.folder / generation
        path.mkdir()
        index = FileStorage(str(path), supports_mmap=False).create_index(SCHEMA)
        writer = None
        try:
            with self.database.snapshot() as session:
                version = dataset_version(session)
                every = all_keys(session)
                writer = _bulk_writer(index, sum(len(keys) for keys in every.values()))
                for doctype, keys in every.items():
                    for _key, document in documents(session, doctype, keys):
                        if document is not None:
                            writer.add_document(**document)
            meta = {"id": META_ID, "doctype": "meta", "version": version, "format": DOCUMENT_FORMAT}
            writer.add_document(**meta)
            writer.commit()
        except BaseException:
            if writer is not None:
                writer.cancel()
            shutil.rmtree(path, ignore_errors=True)
            raise
        self._switch(generation)
        return version

    def _switch(self, generation: str) -> None:
        previous = self._current()
        pointer = self.folder / f"CURRENT.{os.getpid()}.tmp"
        pointer.write_text(generation, encoding="utf-8")
        os.replace(pointer, self.folder / "CURRENT")
        # Keep the previous generation: another process may still be reading it.
        for old in self.folder.glob("gen-*"):
            if old.name not in (generation, previous):
                shutil.rmtree(old, ignore_errors=True)

    def catch_up(self, wait: float = WRITE_LOCK_TIMEOUT) -> int:
        """Apply the revisions the index lacks, under its write lock; return the version.

        It waits ``wait`` seconds for another process's writer (0: not at all), then leaves
        the catch-up to that process.

        When so much changed that a new index is quicker to write on every core, the
        revisions are not applied one by one: the index is rebuilt.
        """
        index = self.open()
        try:
            writer = index.writer(timeout=wait)
        except LockError:
            if wait:
                log.warning("search index locked for %ss; catching up later", wait)
            return self.version()
        try:
            version = self._apply(writer)
        except BaseException:
            writer.cancel()
            raise
        if version is None:
            writer.cancel()
            return self.rebuild(unless_switched_from=self._generation or "")
        return version

    def _apply(self, writer: Any) -> int | None:
        """Write the documents that revisions after the index's version change, and commit;
        return the new version, or None (nothing written) when a rebuild pays."""
        with writer.searcher() as searcher:
            applied = _version_of(searcher)
        with self.database.session() as session:
            changes = session.execute(
                select(Revision.id, Revision.record_type, Revision.record_key)
                .where(Revision.id > applied)
                .order_by(Revision.id)
            ).all()
            if not changes:
                writer.cancel()
                return applied
            touched = affected(session, [(kind, key) for _id, kind, key in changes])
            if _rebuilding_pays(sum(map(len, touched.values())), writer.doc_count()):
                return None
            for doctype, keys in touched.items():
                for key, document in documents(session, doctype, keys):
                    if document is None:
                        writer.delete_by_term("id", f"{doctype}:{key}")
                    else:
                        writer.update_document(**document)
        version = int(changes[-1][0])
        writer.update_document(id=META_ID, doctype="meta", version=version, format=DOCUMENT_FORMAT)
        writer.commit()
        return version

    def differences(self) -> list[str]:
        """Return every difference between the database and the index (none when in step)."""
        with self.database.snapshot() as session:
            version = dataset_version(session)
            expected = {
                document["id"]: document["digest"]
                for doctype, keys in all_keys(session).items()
                for _key, document in documents(session, doctype, keys)
                if document is not None
            }
        searcher = self.searcher()
        indexed = {
            f["id"]: f.get("digest")
            for f in searcher.all_stored_fields()
            if f.get("doctype") != "meta"
        }
        problems = []
        if _version_of(searcher) != version:
            problems.append(f"index is at version {_version_of(searcher)}, database at {version}")
        problems += [
            f"{doc} is missing from the index" for doc in sorted(set(expected) - set(indexed))
        ]
        problems += [
            f"{doc} is in the index but not in the database"
            for doc in sorted(set(indexed) - set(expected))
        ]
        problems += [
            f"{doc} differs between database and index"
            for doc in sorted(set(expected) & set(indexed))
            if expected[doc] != indexed[doc]
        ]
        return problems


class _BM25F(BM25F):  # type: ignore[misc]
    """Whoosh's BM25F, with each segment's field lengths read into memory once per searcher.

    Whoosh reads the length of every document it scores from the index file, a seek and a
    read each: two thirds of the time of ranking a common word at 20,000 statements.
    """

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        lengths = _field_lengths(searcher.reader(), fieldname)
        if isinstance(scorer, BM25FScorer) and lengths is not None:
            scorer.dfl = lengths.__getitem__
        return scorer


# Whoosh's one-byte field lengths decoded (0, no length, counts as 1, as Whoosh's scorer has it).
_BYTE_LENGTHS = np.array([byte_to_length(byte) or 1 for byte in range(256)], dtype=np.int64)


def _field_lengths(reader: Any, fieldname: str) -> npt.NDArray[np.int64] | None:
    """Return a segment's length of one field in every document (as Whoosh stores lengths,
    one byte each), read once; None for a reader that is not one segment's."""
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None:
        return None
    cache: dict[str, npt.NDArray[np.int64]] = reader.__dict__.setdefault("_archive_lengths", {})
    if fieldname not in cache:
        lengths = np.ones(reader.doc_count_all(), dtype=np.int64)
        column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if column is not None:  # a column of one byte per document, shorter where all are 0
            raw = column._dbfile.get(column._basepos, column._count)
            lengths[: len(raw)] = _BYTE_LENGTHS[np.frombuffer(raw, dtype=np.uint8)]
        cache[fieldname] = lengths
    return cache[fieldname]


def _bulk_writer(index: Any, documents: int) -> Any:
    """Return a writer for a new index: one process per core for many documents.

    Each process keeps up to about a gigabyte of postings in memory before it sorts them into
    a run on disk: at 20,000 statements everything fits, and the rebuild takes 36 s instead of
    the 55 s it took with runs written and merged back at 128 MB.
    """
    cores = os.cpu_count() or 1
    if documents >= PARALLEL_FROM and cores > 1:
        return index.writer(
            procs=min(cores, 4),
            multisegment=True,
            batchsize=250,
            limitmb=1024,
            codec=_BulkCodec(),
        )
    return index.writer(limitmb=128, codec=_BulkCodec())


class _BulkCodec(W3Codec):  # type: ignore[misc]
    """Whoosh's codec, without each block of postings' range of field lengths.

    Writing the range reads every posting's field length back from the file written just
    before (a seek and a read each: a quarter of a rebuild's time). Whoosh only uses it to
    skip blocks that cannot reach the best scores, and the archive scores words and phrases
    itself; a range of 0 keeps those skips correct (every bound is higher), only rarer.
    """

    length_stats = False


def _rebuilding_pays(touched: int, indexed: int) -> bool:
    """Tell whether rebuilding on every core beats updating ``touched`` documents in place."""
    return touched >= PARALLEL_FROM and touched * min(os.cpu_count() or 1, 4) > indexed


def _meta(searcher: Any) -> dict[str, Any]:
    meta: dict[str, Any] | None = searcher.document(id=META_ID)
    if meta is None:
        raise whoosh_index.EmptyIndexError("the index has no version")
    return meta


def _version_of(searcher: Any) -> int:
    return int(_meta(searcher)["version"])


# Searching.


@dataclass
class Terms:
    """What a query matches, for highlighting: stems, whole words, name keys and prefixes."""

    stems: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)


@dataclass
class Results:
    """One page of statements matching a search, the people matching it, and facet counts."""

    query: str
    total: int = 0
    keys: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    suggestion: str | None = None
    terms: Terms = field(default_factory=Terms)
    page: int = 1
    per_page: int = PER_PAGE


class _TimedOut(Exception):
    pass


class _TooCostly(Exception):
    pass


def _analyze(field_name: str, text: str) -> list[str]:
    return [token.text for token in SCHEMA[field_name].analyzer(text, mode="query")]


def _terms_query(field_name: str, text: str) -> Query | None:
    tokens = _analyze(field_name, text)
    if not tokens:
        return None
    if len(tokens) == 1:
        return Term(field_name, tokens[0])
    return Phrase(field_name, tokens)


class _Compiler:
    """Turns parsed clauses into a Whoosh query, noting what each clause matches."""

    # The fields an unqualified word is looked for in, and those of each field:value.
    EVERYWHERE = ("title", "text", "names", "districts", "source")
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "title": ("title",),
        "text": ("text",),
        "person": ("names",),
        "district": ("districts",),
        "source": ("source",),
    }

    def __init__(self, searcher: Any, parsed: querylang.ParsedQuery, deadline: float) -> None:
        self.searcher = searcher
        self.parsed = parsed
        self.deadline = deadline
        self.expansions_left = MAX_QUERY_EXPANSIONS
        # Postings the expansions read so far, checked as they grow: expanding many fuzzy
        # words scans the word list for each, so a costly query stops before the last.
        self.postings = 0
        self.budget = _budget(searcher)
        self.truncated = False
        self.terms = Terms()
        # Common words are dropped unless the query has nothing else (then "the" finds "the").
        self.stop_words_dropped = not all(_is_stop_word(c) for g in parsed.groups for c in g)

    def query(self) -> Query | None:
        groups = [self._group(group) for group in self.parsed.groups]
        positive: list[Query] = [g for g in groups if g is not None]
        excluded = [q for q in (self._clause(c) for c in self.parsed.excluded) if q is not None]
        if not positive and not excluded:
            return None
        query: Query = And(positive) if positive else Every()
        return AndNot(query, Or(excluded)) if excluded else query

    def _group(self, clauses: list[querylang.Clause]) -> Query | None:
        parts = [q for q in (self._clause(clause) for clause in clauses) if q is not None]
        return Or(parts) if parts else None

    def _clause(self, clause: querylang.Clause) -> Query | None:
        if clause.field in ("demand", "kind", "lang"):
            value = analysis.fold(clause.text)
            return Term(
                clause.field, value.replace("-", "_") if clause.field == "demand" else value
            )
        if self.stop_words_dropped and _is_stop_word(clause):
            return None  # a common word beside others would match nearly everything
        fields = self.FIELDS.get(clause.field or "", self.EVERYWHERE)
        if clause.kind == "prefix":
            return self._prefix(clause.text, fields)
        if clause.kind == "fuzzy":
            return self._fuzzy(clause.text, fields)
        self._note_terms(clause.text)
        if clause.kind == "phrase" and clause.field is None:
            parts = [_terms_query("words", clause.text), _terms_query("names", clause.text)]
        else:
            parts = [_terms_query(field_name, clause.text) for field_name in fields]
        if clause.field is None and clause.kind == "word":
            parts.append(Term("demand", analysis.fold(clause.text).replace("-", "_")))
            parts.append(_terms_query("words", clause.text))
        found = [part for part in parts if part is not None]
        return Or(found) if found else None

    def _note_terms(self, text: str) -> None:
        self.terms.stems.update(_analyze("text", text))
        self.terms.words.update(_analyze("words", text))
        self.terms.names.update(_analyze("names", text))

    def _expand(self, field_name: str, words: Iterable[bytes | str]) -> list[str]:
        """Return the indexed words a prefix or fuzzy word stands for, within the word's and
        the query's budget of expansions and the search's time."""
        if time.monotonic() > self.deadline:
            raise _TimedOut
        fieldobj = SCHEMA[field_name]
        limit = min(MAX_EXPANSIONS, self.expansions_left)
        found: list[str] = []
        for raw in words:
            if len(found) >= limit:
                self.truncated = True
                break
            found.append(fieldobj.from_bytes(raw) if isinstance(raw, bytes) else raw)
        self.expansions_left -= len(found)
        self.postings += sum(self.searcher.doc_frequency(field_name, word) for word in found)
        if self.postings > self.budget:
            raise _TooCostly
        return found

    def _note_truncated(self, text: str, marker: str) -> None:
        if self.truncated:
            self.parsed.note(f"{text}{marker} stands for many words; not all were searched.")
            self.truncated = False

    def _prefix(self, text: str, fields: tuple[str, ...]) -> Query | None:
        prefix = analysis.fold(text)
        reader = self.searcher.reader()
        words = self._expand("words", reader.expand_prefix("words", prefix))
        key = analysis.name_key(text)
        names = self._expand("names", reader.expand_prefix("names", key)) if key else []
        self._note_truncated(text, "*")
        self.terms.prefixes.add(prefix)
        terms = [Term("words", w) for w in words]
        terms += [Term("names", n) for n in names if "names" in fields or "districts" in fields]
        return Or(terms) if terms else Term("words", prefix)

    def _fuzzy(self, text: str, fields: tuple[str, ...]) -> Query | None:
        word = analysis.fold(text)
        self.terms.words.add(word)
        if len(word) < 4:
            return Term("words", word)
        reader = self.searcher.reader()
        words = self._expand("words", reader.terms_within("words", word, 1, prefix=1))
        key = analysis.name_key(text)
        names = self._expand("names", reader.terms_within("names", key, 1, prefix=1)) if key else []
        self._note_truncated(text, "~")
        self.terms.words.update(words)
        terms = [Term("words", w) for w in words] + [Term("names", n) for n in names]
        return Or(terms) if terms else Term("words", word)


def _is_stop_word(clause: querylang.Clause) -> bool:
    folded = analysis.fold(clause.text)
    return clause.field is None and clause.kind == "word" and analysis.is_stop_word(folded)


class _SegmentColumns:
    """One segment's per-document values (deleted documents included), read from its stored
    fields once: a segment never changes, so after a catch-up only the new one is read."""

    def __init__(self, reader: Any) -> None:
        size = int(reader.doc_count_all())
        self.doctype, self.date, self.key = [""] * size, [""] * size, [""] * size
        self.values: dict[str, list[tuple[str, ...]]] = {name: [()] * size for name in FILTERS}
        values = self.values
        for docnum in range(size):
            stored = reader.stored_fields(docnum)
            self.doctype[docnum] = stored.get("doctype", "")
            self.date[docnum] = date = stored.get("date") or ""
            self.key[docnum] = stored.get("key", "")
            values["kind"][docnum] = (stored["kind"],) if stored.get("kind") else ()
            values["year"][docnum] = (date[:4],) if date else ()
            for name, stored_name in (
                ("demand", "demand"),
                ("lang", "lang"),
                ("district", "district_keys"),
            ):
                raw = stored.get(stored_name) or ""
                values[name][docnum] = tuple(v for v in raw.split(",") if v)
        self.facets = {name: _Facet.of(values[name]) for name in FILTERS}


class _Columns:
    """Per-document values of one searcher, for filters, facets and date order: its segments'
    values (kept by the index) put together, without deleted documents."""

    def __init__(self, searcher: Any, segments: dict[str, _SegmentColumns]) -> None:
        self.doctype: dict[int, str] = {}
        self.values: dict[str, dict[int, tuple[str, ...]]] = {f: {} for f in FILTERS}
        self.date: dict[int, str] = {}
        self.key: dict[int, str] = {}
        self.cache: dict[tuple[str, str], frozenset[int]] = {}
        self.by_key: npt.NDArray[np.int64] | None = None  # made at the first ranking
        self.size = int(searcher.doc_count_all())
        facets: dict[str, list[tuple[_Facet, int, npt.NDArray[np.bool_]]]] = {
            name: [] for name in FILTERS
        }
        current = set()
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            segment_id = reader.segment().segment_id()
            current.add(segment_id)
            if segment_id not in segments:
                segments[segment_id] = _SegmentColumns(reader)
            part = segments[segment_id]
            live = np.ones(len(part.key), dtype=bool)
            live[list(reader.deleted_docs_set)] = False
            local = np.flatnonzero(live).tolist()
            docnums = [offset + docnum for docnum in local]
            for mine, theirs in ((self.doctype, part.doctype), (self.date, part.date)):
                mine.update(zip(docnums, map(theirs.__getitem__, local), strict=True))
            self.key.update(zip(docnums, map(part.key.__getitem__, local), strict=True))
            for name in FILTERS:
                values = map(part.values[name].__getitem__, local)
                self.values[name].update(zip(docnums, values, strict=True))
                facets[name].append((part.facets[name], offset, live))
        for gone in set(segments) - current:
            del segments[gone]
        self.facets = {name: _Facet.combined(parts) for name, parts in facets.items()}

    def key_order(self) -> npt.NDArray[np.int64]:
        """Return each document's place in key order (by document number)."""
        if self.by_key is None:
            self.by_key = np.zeros(self.size, dtype=np.int64)
            ordered = sorted(self.key, key=self.key.__getitem__)
            self.by_key[ordered] = np.arange(len(ordered))
        return self.by_key

    def having(self, name: str, value: str) -> frozenset[int]:
        """Return the documents whose ``name`` includes ``value`` (a cached set)."""
        if (name, value) not in self.cache:
            if name == "doctype":
                found = frozenset(d for d, t in self.doctype.items() if t == value)
            else:
                found = frozenset(d for d, vs in self.values[name].items() if value in vs)
            self.cache[name, value] = found
        return self.cache[name, value]

    def dated(self, start: str | None, end: str | None) -> frozenset[int]:
        """Return the documents whose date (with its precision) overlaps start..end."""
        cache_key = ("date", f"{start}..{end}")
        if cache_key not in self.cache:
            low, high = start or "", f"{end}~" if end else "~"
            self.cache[cache_key] = frozenset(
                d for d, date in self.date.items() if date and f"{date}~" >= low and date <= high
            )
        return self.cache[cache_key]

    def count(self, docnums: Iterable[int]) -> dict[str, dict[str, int]]:
        """Count facet values over the given documents, each facet's values in name order."""
        chosen = _mask(docnums, self.size)
        return {name: facet.count(chosen) for name, facet in self.facets.items()}


class _Facet:
    """One facet's values of every document as arrays, counted over any documents at once
    (in Python, counting the values of 15,000 documents took 45 ms)."""

    def __init__(
        self, names: list[str], docs: npt.NDArray[np.int64], codes: npt.NDArray[np.int64]
    ) -> None:
        self.names, self.docs, self.codes = names, docs, codes

    @classmethod
    def of(cls, values: list[tuple[str, ...]]) -> _Facet:
        """Return the facet of documents' values, listed by document number."""
        names = sorted({value for found in values for value in found})
        code = {name: number for number, name in enumerate(names)}
        pairs = [(docnum, code[value]) for docnum, found in enumerate(values) for value in found]
        docs = np.array([docnum for docnum, _code in pairs], dtype=np.int64)
        return cls(names, docs, np.array([number for _docnum, number in pairs], dtype=np.int64))

    @classmethod
    def combined(cls, parts: list[tuple[_Facet, int, npt.NDArray[np.bool_]]]) -> _Facet:
        """Return segments' facets as one: each (facet, offset of its documents, live ones)."""
        names = sorted(set().union(*(facet.names for facet, _offset, _live in parts)))
        code = {name: number for number, name in enumerate(names)}
        docs, codes = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for facet, offset, live in parts:
            kept = live[facet.docs]
            recoded = np.array([code[name] for name in facet.names] or [0], dtype=np.int64)
            docs.append(facet.docs[kept] + offset)
            codes.append(recoded[facet.codes[kept]])
        return cls(names, np.concatenate(docs), np.concatenate(codes))

    def count(self, chosen: npt.NDArray[np.bool_]) -> dict[str, int]:
        """Count the values of the documents ``chosen`` marks."""
        counts = np.bincount(self.codes[chosen[self.docs]], minlength=len(self.names))
        return {self.names[number]: int(counts[number]) for number in np.flatnonzero(counts)}


def _columns(index: SearchIndex, searcher: Any) -> _Columns:
    columns: _Columns | None = getattr(searcher, "_archive_columns", None)
    if columns is None:
        with index._lock:
            columns = _Columns(searcher, index.segments)
        searcher._archive_columns = columns
    return columns


def _matching(
    searcher: Any, query: Query | None, allowed: frozenset[int], deadline: float
) -> tuple[set[int], _Scored | None]:
    """Return the allowed documents a query matches and, for a query of words and phrases,
    what it matches and scores in every document (None where Whoosh's matchers rank it)."""
    if query is None:
        return set(allowed), None
    scored = _scores(searcher, query, deadline)
    if scored is None:
        return _docs(searcher, query, deadline) & allowed, None
    kept = scored.found & _mask(allowed, len(scored.found))
    return set(np.flatnonzero(kept).tolist()), scored


def _mask(docnums: Iterable[int], size: int) -> npt.NDArray[np.bool_]:
    """Return an array of ``size`` that is True at the given document numbers."""
    mask = np.zeros(size, dtype=bool)
    mask[np.fromiter(docnums, dtype=np.int64)] = True
    return mask


def _budget(searcher: Any) -> int:
    """Return how many postings one search may read."""
    return MAX_POSTINGS_PER_DOCUMENT * max(int(searcher.doc_count()), 1)


def _cost(searcher: Any, query: Query) -> int:
    """Return how many postings a query reads: the documents of each of its words."""
    if isinstance(query, (Or, And)):
        return sum(_cost(searcher, sub) for sub in query.subqueries)
    if isinstance(query, AndNot):
        return _cost(searcher, query.a) + _cost(searcher, query.b)
    if isinstance(query, Term):
        return int(searcher.doc_frequency(query.fieldname, query.text))
    if isinstance(query, Phrase):
        return sum(int(searcher.doc_frequency(query.fieldname, w)) for w in query.words)
    return int(searcher.doc_count())


def _docs(searcher: Any, query: Query, deadline: float) -> set[int]:
    """Return the documents a query matches: the posting lists of its words read whole and
    combined as sets (much quicker than Whoosh's matchers walking a union document by
    document), phrases and the rest through their own matchers."""
    if time.monotonic() > deadline:
        raise _TimedOut
    if isinstance(query, Or):
        return set().union(*(_docs(searcher, sub, deadline) for sub in query.subqueries))
    if isinstance(query, And):
        parts = sorted((_docs(searcher, sub, deadline) for sub in query.subqueries), key=len)
        return parts[0].intersection(*parts[1:]) if parts else set()
    if isinstance(query, AndNot):
        return _docs(searcher, query.a, deadline) - _docs(searcher, query.b, deadline)
    if isinstance(query, Term):
        return set(query.docs(searcher))
    found: set[int] = set()
    for count, docnum in enumerate(query.docs(searcher)):
        found.add(docnum)
        if count % 2048 == 0 and time.monotonic() > deadline:
            raise _TimedOut
    return found


@dataclass
class _Scored:
    """What a query matches (``found``) and its score, by the searcher's document numbers
    (deleted documents included: every caller keeps only documents of the column cache)."""

    found: npt.NDArray[np.bool_]
    score: npt.NDArray[np.float64]

    @classmethod
    def nothing(cls, size: int) -> _Scored:
        return cls(np.zeros(size, dtype=bool), np.zeros(size))

    def add(self, other: _Scored) -> None:
        self.found |= other.found
        self.score += other.score


def _scores(searcher: Any, query: Query, deadline: float) -> _Scored | None:
    """Score every document a query of words and phrases matches as Whoosh's BM25F ranking
    does (the sum of its matching words' scores; in ``a ANDNOT b``, a's), each word's postings
    read whole and scored at once.

    Whoosh's matchers score a union of words document by document in Python calls: ranking
    a common word at 20,000 statements took 90 ms that way. None for a query with anything
    else in it (only excluded words, say): Whoosh's matchers rank those.
    """
    if time.monotonic() > deadline:
        raise _TimedOut
    size = int(searcher.doc_count_all())
    if isinstance(query, Term):
        scored = _Scored.nothing(size)
        _add_word(searcher, query.fieldname, query.text, scored)
        return scored
    if isinstance(query, Phrase) and query.slop == 1 and query.boost == 1:
        return _phrase_scores(searcher, query.fieldname, list(query.words))
    if isinstance(query, Or) and query.subqueries:
        total = _Scored.nothing(size)
        for sub in query.subqueries:
            if isinstance(sub, Term):  # added in place: a prefix may stand for 128 words
                if time.monotonic() > deadline:
                    raise _TimedOut
                _add_word(searcher, sub.fieldname, sub.text, total)
                continue
            part = _scores(searcher, sub, deadline)
            if part is None:
                return None
            total.add(part)
        return total
    if isinstance(query, And) and query.subqueries:
        parts = [_scores(searcher, sub, deadline) for sub in query.subqueries]
        if any(part is None for part in parts):
            return None
        total = _Scored.nothing(size)
        total.found[:] = True
        for part in parts:
            assert part is not None
            total.found &= part.found
            total.score += part.score
        return total
    if isinstance(query, AndNot):
        kept = _scores(searcher, query.a, deadline)
        if kept is not None:
            kept.found[list(_docs(searcher, query.b, deadline))] = False
        return kept
    return None


def _add_word(searcher: Any, fieldname: str, text: str, into: _Scored) -> None:
    """Add one word's scores to ``into``, segment by segment."""
    for leaf, offset in searcher.leaf_searchers():
        if (fieldname, text) in leaf.reader():
            ids, scores, _positions = _word_postings(searcher, leaf, fieldname, text)
            into.found[ids + offset] = True
            into.score[ids + offset] += scores


def _phrase_scores(searcher: Any, fieldname: str, words: list[str]) -> _Scored:
    """Score a phrase in every document it is in: the sum of its words' scores where the words
    stand one after another, as Whoosh's phrase matcher finds them."""
    scored = _Scored.nothing(int(searcher.doc_count_all()))
    decode = SCHEMA[fieldname].format.decode_positions
    for leaf, offset in searcher.leaf_searchers():
        if any((fieldname, word) not in leaf.reader() for word in words):
            continue
        postings = []  # each word's {docnum: (score, encoded positions)}
        for word in words:
            ids, scores, positions = _word_postings(searcher, leaf, fieldname, word, True)
            pairs = zip(scores.tolist(), positions, strict=True)
            postings.append(dict(zip(ids.tolist(), pairs, strict=True)))
        for docnum in set(postings[0]).intersection(*postings[1:]):
            first, *rest = (decode(found[docnum][1]) for found in postings)
            starts = set(first)  # where the phrase may start: the n-th word n places on
            for n, later in enumerate(rest, 1):
                starts.intersection_update([position - n for position in later])
            if starts:
                scored.found[offset + docnum] = True
                scored.score[offset + docnum] = sum(found[docnum][0] for found in postings)
    return scored


def _word_postings(
    searcher: Any, leaf: Any, fieldname: str, text: str, positions: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], list[bytes]]:
    """Return one word's postings in one segment, read a block at a time as Whoosh's block
    reader decodes them: the documents it is in (the segment's document numbers), its score in
    each (computed as Whoosh's scorer would) and, if asked, its encoded positions there."""
    reader = leaf.reader()
    btext = reader._text_to_bytes(fieldname, text)
    matcher = reader._terms.matcher(fieldname, btext, SCHEMA[fieldname].format)
    ids: list[int] = []
    weights = array("f")
    encoded: list[bytes] = []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids.extend(matcher._ids)
        weights.extend(matcher._weights)
        if positions:
            matcher._read_values()
            encoded.extend(matcher._values)
        matcher._next_block()
    docnums = np.array(ids, dtype=np.int64)
    tf = np.array(weights, dtype=np.float64)
    scorer = searcher.weighting.scorer(leaf, fieldname, text)
    lengths = _field_lengths(reader, fieldname)
    if not isinstance(scorer, BM25FScorer) or lengths is None:
        return docnums, tf, encoded  # a field without lengths: the weight is the score
    # whoosh.scoring.bm25, term for term, over every document at once
    idf, fl, avgfl, b, k1 = scorer.idf, lengths[docnums], scorer.avgfl, scorer.B, scorer.K1
    return docnums, idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl))), encoded


class _AllowedInTime(FilterCollector):  # type: ignore[misc]
    """Collect only allowed documents, and stop at a deadline with what was found.

    Whoosh's FilterCollector loops over matches itself and never asks a TimeLimitCollector
    inside it for the time; wrapped the other way round, the time limit skips the filter.
    """

    def __init__(self, child: Any, allow: set[int], deadline: float) -> None:
        super().__init__(child, allow=allow)
        self.deadline = deadline

    def collect_matches(self) -> None:
        child, allow, offset, deadline = self.child, self._allow, self.offset, self.deadline
        for count, sub_docnum in enumerate(child.matches()):
            if offset + sub_docnum in allow:
                child.collect(sub_docnum)
            if count % 512 == 0 and time.monotonic() > deadline:
                raise TimeLimit


class SearchTooSlow(Exception):
    """Finding the matching statements took longer than a search may."""


@dataclass
class _Selection:
    """What a query and its filters select: the statements matched, before any paging."""

    searcher: Any
    columns: _Columns
    parsed: querylang.ParsedQuery
    query: Query | None
    terms: Terms
    matched: set[int]
    scored: _Scored | None  # for a query of words and phrases
    deadline: float  # when the search's time is up (time.monotonic)


def _select(index: SearchIndex, text: str, filters: dict[str, str] | None) -> _Selection:
    """Select the statements a query and its filters match; raise SearchTooSlow past the limit."""
    # Whoever holds the index writer is catching up already: a search does not wait for it.
    index.ensure_current(wait=0, limit=SEARCH_CATCH_UP_LIMIT)
    parsed = querylang.parse(text)
    searcher = index.searcher()
    columns = _columns(index, searcher)
    deadline = time.monotonic() + SEARCH_TIME_LIMIT
    compiler = _Compiler(searcher, parsed, deadline)
    try:
        query = compiler.query()
        if query is not None and _cost(searcher, query) > compiler.budget:
            raise _TooCostly
        matched, scored = _matching(searcher, query, _allowed(columns, parsed, filters), deadline)
    except _TooCostly as error:
        parsed.note(
            "This search would read too much of the index; use fewer common words or "
            "longer prefixes."
        )
        raise SearchTooSlow(parsed.messages[-1]) from error
    except RecursionError:
        parsed.note("The query was too deeply nested and was ignored.")
        query, matched, scored = None, set(), None
    except _TimedOut as error:
        parsed.note("The search took too long and was stopped; try fewer or longer words.")
        raise SearchTooSlow(parsed.messages[-1]) from error
    return _Selection(searcher, columns, parsed, query, compiler.terms, matched, scored, deadline)


def _allowed(
    columns: _Columns, parsed: querylang.ParsedQuery, filters: dict[str, str] | None
) -> frozenset[int]:
    """Return the statements the filters and the query's dates allow (cached sets)."""
    allowed = columns.having("doctype", "statement")
    for name, value in (filters or {}).items():
        if value and name in FILTERS:
            allowed = allowed & columns.having(name, value)
    if parsed.date_from or parsed.date_to:
        allowed = allowed & columns.dated(parsed.date_from, parsed.date_to)
    return allowed


def run_search(
    index: SearchIndex,
    text: str,
    filters: dict[str, str] | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Results:
    """Search statements (and people) with a query string and facet filters; never fail."""
    page, per_page = min(max(page, 1), MAX_PAGE), min(max(per_page, 1), 100)
    results = Results(query=text, page=page, per_page=per_page)
    try:
        found = _select(index, text, filters)
    except SearchTooSlow as slow:
        results.messages = [str(slow)]
        return results
    columns = found.columns
    results.messages, results.terms = found.parsed.messages, found.terms
    results.total = len(found.matched)
    results.facets = columns.count(found.matched)
    results.keys = _page(found, sort, page, per_page)
    # People and suggestions are extras: they get only the time the statements left.
    if found.query is not None and time.monotonic() < found.deadline:
        people = columns.having("doctype", "person")
        if filters and filters.get("district"):
            people = people & columns.having("district", filters["district"])
        # Asked of people only, the query skips the statements instead of scoring them all.
        results.people = _ranked(found, people, 8, And([found.query, Term("doctype", "person")]))
        if not found.matched and time.monotonic() < found.deadline:
            results.suggestion = _suggest(found.searcher, found.parsed, text)
    return results


def all_matching_keys(
    index: SearchIndex, text: str, filters: dict[str, str] | None = None, sort: str = "relevance"
) -> tuple[list[str], list[str]]:
    """Return every statement a search finds, ordered as its pages are, and the query's notes.

    One pass, for the CSV of a search: paging through run_search would rank page * per_page
    hits for every page. Statements that ranking had no time for follow the ranked ones,
    newest first, so that none is dropped. Raises SearchTooSlow like a search page's note.
    """
    found = _select(index, text, filters)
    by_date = [found.columns.key[d] for d in _by_date(found.columns, found.matched)]
    if sort == "date" or found.query is None:
        return by_date, found.parsed.messages
    ranked = _ranked(found, frozenset(found.matched), max(len(found.matched), 1))
    seen = set(ranked)
    return ranked + [key for key in by_date if key not in seen], found.parsed.messages


def _by_date(columns: _Columns, matched: set[int]) -> list[int]:
    """Order documents newest first; one date's statements by key, never by docnum."""
    ordered = sorted(matched, key=columns.key.__getitem__)
    ordered.sort(key=columns.date.__getitem__, reverse=True)
    return ordered


def _page(found: _Selection, sort: str, page: int, per_page: int) -> list[str]:
    start = (page - 1) * per_page
    if sort == "date" or found.query is None:
        ordered = _by_date(found.columns, found.matched)
        return [found.columns.key[d] for d in ordered[start : start + per_page]]
    return _ranked(found, frozenset(found.matched), start + per_page)[start:]


def _ranked(
    found: _Selection, allowed: frozenset[int], limit: int, query: Query | None = None
) -> list[str]:
    """Return the keys of the best ``limit`` documents among ``allowed``, best first.

    Equal scores (to six places) go in key order, so that a rebuilt index ranks exactly as a
    caught-up one. A query of words was scored as it was matched; any other is ranked by
    Whoosh's matchers (``query``, if given, instead of the search's) in the time the search
    has left (at least a moment).
    """
    key = found.columns.key
    scored = found.scored
    if scored is not None:
        candidates = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        candidates = candidates[scored.found[candidates]]
        by_key = found.columns.key_order()[candidates]
        best = candidates[np.lexsort((by_key, -np.round(scored.score[candidates], 6)))]
        return [key[docnum] for docnum in best[:limit].tolist()]
    query = query or found.query
    if not allowed or query is None:
        return []
    searcher = found.searcher
    deadline = max(found.deadline, time.monotonic() + MIN_RANKING_TIME)
    collector = _AllowedInTime(searcher.collector(limit=limit), set(allowed), deadline)
    try:
        searcher.search_with_collector(query, collector)
    except TimeLimit:
        found.parsed.note("Ranking took too long; the results shown are those found in time.")
    # The best hits as (score, docnum), without asking the results for their length (which
    # runs the query again to count).
    top = sorted(collector.results().top_n, key=lambda hit: (-round(hit[0], 6), key[hit[1]]))
    return [key[docnum] for _score, docnum in top[:limit]]


def _suggest(searcher: Any, parsed: querylang.ParsedQuery, text: str) -> str | None:
    """Return the query with each unknown word replaced by the nearest indexed word, if any."""
    suggested = querylang.clean(text)[0]
    for clause in parsed.clauses():
        if _unknown_word(searcher, clause):
            found = searcher.suggest(
                "words", analysis.fold(clause.text), limit=1, maxdist=2, prefix=1
            )
            if found:
                pattern = rf"(?<![\w*~:]){re.escape(clause.text)}(?![\w*~])"
                suggested = re.sub(pattern, found[0], suggested, count=1)
    return suggested if suggested != querylang.clean(text)[0] else None


def _unknown_word(searcher: Any, clause: querylang.Clause) -> bool:
    folded = analysis.fold(clause.text)
    if clause.kind != "word" or clause.field is not None or not 3 <= len(folded) <= 30:
        return False
    if not folded.isalpha():
        return False
    return searcher.document_number(words=folded) is None and not _has_name(searcher, clause.text)


def _has_name(searcher: Any, word: str) -> bool:
    key = analysis.name_key(word)
    return bool(key) and searcher.document_number(names=key) is not None


def highlight(text: str | None, terms: Terms, width: int = 240) -> list[tuple[str, bool]]:
    """Return a snippet of ``text`` around its first match, as (piece, matched) pairs."""
    if not text:
        return []
    pieces: list[tuple[str, bool]] = []
    first = None
    position = 0
    for match in re.finditer(analysis.WORD_RE, text):
        word = match.group()
        if _matches(word, terms):
            if first is None:
                first = match.start()
            pieces.append((text[position : match.start()], False))
            pieces.append((word, True))
            position = match.end()
    pieces.append((text[position:], False))
    start = max(0, (first or 0) - width // 3)
    end = start + width
    # Cut at spaces, so that no word (matched or not) is cut in two.
    start = text.rfind(" ", 0, start) + 1 if start else 0
    end = len(text) if end >= len(text) or text.find(" ", end) < 0 else text.find(" ", end)
    return _window(pieces, start, end)


def _matches(word: str, terms: Terms) -> bool:
    folded = analysis.fold(word)
    return (
        folded in terms.words
        or analysis.stem(folded) in terms.stems
        or analysis.name_key(word) in terms.names
        or any(folded.startswith(prefix) for prefix in terms.prefixes)
    )


def _window(pieces: list[tuple[str, bool]], start: int, end: int) -> list[tuple[str, bool]]:
    """Cut the pieces to the characters start..end, marking cuts with an ellipsis."""
    window: list[tuple[str, bool]] = []
    offset = 0
    for piece, matched in pieces:
        low, high = max(start - offset, 0), min(end - offset, len(piece))
        if low < high:
            window.append((piece[low:high], matched))
        offset += len(piece)
    if start > 0 and window:
        window.insert(0, ("… ", False))
    if offset > end:
        window.append((" …", False))
    return window
