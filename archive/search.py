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

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from whoosh import index as whoosh_index
from whoosh.collectors import FilterCollector, TimeLimit, TimeLimitCollector
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.query import And, AndNot, Every, FuzzyTerm, Or, Phrase, Query, Term

from archive import analysis, migrate, queries, querylang
from archive.db import Database, get_db
from archive.models import (
    District,
    DistrictName,
    Person,
    Revision,
    Signature,
    Source,
    Statement,
)
from archive.store import dataset_version

log = logging.getLogger(__name__)

WRITE_LOCK_TIMEOUT = 30.0  # seconds to wait for another process's index writer
SEARCH_TIME_LIMIT = 1.5  # seconds of collecting before partial results are returned
MAX_EXPANSIONS = 64  # terms a prefix or fuzzy word may stand for
META_ID = "meta"
# Bump when documents or the schema change shape: an index of another format is rebuilt.
DOCUMENT_FORMAT = 2
PER_PAGE = 20
MAX_PAGE = 1000

SCHEMA = Schema(
    id=ID(unique=True, stored=True),
    doctype=ID(stored=True),
    key=ID(stored=True),
    title=TEXT(analyzer=analysis.text_analyzer(), field_boost=3.0),
    text=TEXT(analyzer=analysis.text_analyzer()),
    words=TEXT(analyzer=analysis.plain_analyzer()),
    names=TEXT(analyzer=analysis.name_analyzer(), field_boost=3.0),
    districts=TEXT(analyzer=analysis.name_analyzer(), field_boost=1.5),
    source=TEXT(analyzer=analysis.text_analyzer()),
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
        self.tree = queries.district_tree(session)
        self.names = {node.key: [node.name] for node in self.tree.by_id.values()}
        alternates = select(District.key, DistrictName.name).join(
            District, DistrictName.district_id == District.id
        )
        order = (DistrictName.language, DistrictName.name)
        for key, name in session.execute(alternates.order_by(*order)):
            self.names[key].append(name)

    def lineage(self, key: str) -> list[str]:
        """Return a district's key and its ancestors' keys, nearest first."""
        node = self.tree.by_key.get(key)
        if node is None:
            return [key]
        return [key, *(above.key for above in reversed(self.tree.ancestors(node)))]

    def subtree(self, key: str) -> set[str]:
        """Return a district's key and every key below it."""
        node = self.tree.by_key.get(key)
        if node is None:
            return {key}
        return {below.key for below, _depth in self.tree.walk([node], "key")}


def _join(parts: Iterable[str | None]) -> str:
    return "\n".join(part for part in parts if part)


def _statement_document(statement: Statement, districts: Districts) -> dict[str, Any]:
    district_keys = [d.key for d in statement.districts]
    district_keys += [s.district.key for s in statement.signatures if s.district is not None]
    lineage = sorted({k for key in district_keys for k in districts.lineage(key)})
    people = [s.person for s in statement.signatures]
    sources = {s.key: s for s in statement.sources}
    for source in list(sources.values()):
        while source.cites is not None and source.cites.key not in sources:
            source = source.cites
            sources[source.key] = source
    texts = [statement.text, statement.summary, statement.addressee]
    texts += [t.text for t in statement.translations]
    languages = {statement.language} | {t.language for t in statement.translations}
    return {
        "id": f"statement:{statement.key}",
        "doctype": "statement",
        "key": statement.key,
        "title": statement.title,
        "text": _join(texts),
        "words": _join([statement.title, *texts]),
        "names": _join(_person_names(person) for person in people),
        "districts": _join(name for key in lineage for name in districts.names.get(key, [])),
        "source": _join(source.publisher for source in sources.values()),
        "demand": ",".join(d.demand for d in statement.demands),
        "kind": statement.kind,
        "lang": ",".join(sorted(lang for lang in languages if lang)),
        "district_keys": ",".join(lineage),
        "date": statement.date or "",
        "signatories": [len(people), statement.reported_signatories],
    }


def _person_names(person: Person) -> str:
    return _join([person.name, *(n.name for n in person.names)])


def _person_document(
    person: Person, signatures: list[Signature], districts: Districts
) -> dict[str, Any]:
    keys = {s.district.key for s in signatures if s.district is not None}
    lineage = sorted({k for key in keys for k in districts.lineage(key)})
    return {
        "id": f"person:{person.key}",
        "doctype": "person",
        "key": person.key,
        "title": person.name,
        "text": _join([person.description, *(s.role for s in signatures)]),
        "words": _join([person.name, person.description]),
        "names": _person_names(person),
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
    """Yield (key, document) for the records named; the document is None for a deleted record."""
    districts = Districts(session)
    keys = sorted(set(keys))
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        if doctype == "statement":
            found = {
                row.key: _statement_document(row, districts)
                for row in session.scalars(_statements_query(chunk))
            }
        else:
            found = _people_documents(session, chunk, districts)
        for key in chunk:
            document = found.get(key)
            yield key, _with_digest(document) if document is not None else None


def _statements_query(keys: list[str]) -> Any:
    return (
        select(Statement)
        .where(Statement.key.in_(keys))
        .options(
            selectinload(Statement.districts),
            selectinload(Statement.demands),
            selectinload(Statement.translations),
            selectinload(Statement.sources).selectinload(Source.cites),
            selectinload(Statement.signatures)
            .selectinload(Signature.person)
            .selectinload(Person.names),
            selectinload(Statement.signatures).selectinload(Signature.district),
        )
    )


def _people_documents(
    session: Session, keys: list[str], districts: Districts
) -> dict[str, dict[str, Any]]:
    people = session.scalars(
        select(Person).where(Person.key.in_(keys)).options(selectinload(Person.names))
    ).all()
    signatures: dict[int, list[Signature]] = {person.id: [] for person in people}
    query = (
        select(Signature)
        .where(Signature.person_id.in_(list(signatures)))
        .options(selectinload(Signature.district))
    )
    for signature in session.scalars(query):
        signatures[signature.person_id].append(signature)
    return {p.key: _person_document(p, signatures[p.id], districts) for p in people}


def all_keys(session: Session) -> dict[str, list[str]]:
    """Return the keys of every statement and person."""
    return {
        "statement": list(session.scalars(select(Statement.key))),
        "person": list(session.scalars(select(Person.key))),
    }


def affected(session: Session, revisions: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Return the statements and people whose documents the given revisions change."""
    touched: dict[str, set[str]] = {"statement": set(), "person": set()}
    districts: Districts | None = None
    for record_type, key in revisions:
        if record_type == "statement":
            touched["statement"].add(key)
        elif record_type == "signature":
            statement_key, person_key = key.split("/", 1)
            touched["statement"].add(statement_key)
            touched["person"].add(person_key)
        elif record_type == "person":
            touched["person"].add(key)
            touched["statement"].update(_statements_signed_by(session, key))
        elif record_type == "district":
            districts = districts or Districts(session)
            _touch_district(session, districts.subtree(key) | {key}, touched)
        elif record_type == "source":
            touched["statement"].update(_statements_citing(session, key))
    return touched


def _statements_signed_by(session: Session, person_key: str) -> list[str]:
    query = (
        select(Statement.key)
        .join(Signature, Signature.statement_id == Statement.id)
        .join(Person, Signature.person_id == Person.id)
        .where(Person.key == person_key)
    )
    return list(session.scalars(query))


def _touch_district(session: Session, keys: set[str], touched: dict[str, set[str]]) -> None:
    ids = select(District.id).where(District.key.in_(keys))
    signed = select(Statement.key, Person.key).join(
        Signature, Signature.statement_id == Statement.id
    )
    signed = signed.join(Person, Signature.person_id == Person.id).where(
        Signature.district_id.in_(ids)
    )
    for statement_key, person_key in session.execute(signed):
        touched["statement"].add(statement_key)
        touched["person"].add(person_key)
    listed = select(Statement.key).where(Statement.districts.any(District.id.in_(ids)))
    touched["statement"].update(session.scalars(listed))


def _statements_citing(session: Session, source_key: str) -> set[str]:
    sources = {source_key}
    while True:  # sources that cite it, directly or along a chain
        citing = set(_citing(session, sources))
        if citing <= sources:
            break
        sources |= citing
    query = select(Statement.key).where(Statement.sources.any(Source.key.in_(sources)))
    return set(session.scalars(query))


def _citing(session: Session, keys: set[str]) -> list[str]:
    cited = select(Source.id).where(Source.key.in_(keys))
    return list(session.scalars(select(Source.key).where(Source.cites_id.in_(cited))))


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
            current = index.searcher()
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

    def ensure_current(self) -> str:
        """Rebuild a missing, unreadable or foreign index; catch up a stale one; say which."""
        try:
            meta = _meta(self.searcher())
            indexed = int(meta["version"])
            if meta.get("format") != DOCUMENT_FORMAT:
                raise whoosh_index.IndexVersionError("documents of another format", 0)
        except whoosh_index.EmptyIndexError:
            log.info("no search index in %s yet; building it", self.folder)
            self.rebuild()
            return "rebuilt"
        except Exception as error:  # a truncated, corrupt or outdated index
            log.warning("search index unusable (%s); rebuilding", error)
            self.rebuild()
            return "rebuilt"
        with self.database.session() as session:
            current = dataset_version(session)
        if indexed > current:  # the database was replaced by an older one
            self.rebuild()
            return "rebuilt"
        if indexed < current:
            self.catch_up()
            return "caught up"
        return "current"

    def rebuild(self) -> int:
        """Build a new index beside the live one from the database, then switch to it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        generation = f"gen-{time.time_ns():x}-{os.getpid()}"
        path = self.folder / generation
        path.mkdir()
        index = FileStorage(str(path), supports_mmap=False).create_index(SCHEMA)
        writer = index.writer(limitmb=128)
        try:
            with self.database.session() as session, session.begin():
                version = dataset_version(session)
                for doctype, keys in all_keys(session).items():
                    for _key, document in documents(session, doctype, keys):
                        if document is not None:
                            writer.add_document(**document)
            meta = {"id": META_ID, "doctype": "meta", "version": version, "format": DOCUMENT_FORMAT}
            writer.add_document(**meta)
            writer.commit()
        except BaseException:
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

    def catch_up(self) -> int:
        """Apply the revisions the index lacks, under its write lock; return the version."""
        index = self.open()
        try:
            writer = index.writer(timeout=WRITE_LOCK_TIMEOUT)
        except LockError:
            log.warning("search index locked for %ss; catching up later", WRITE_LOCK_TIMEOUT)
            return self.version()
        try:
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
                for doctype, keys in touched.items():
                    for key, document in documents(session, doctype, keys):
                        if document is None:
                            writer.delete_by_term("id", f"{doctype}:{key}")
                        else:
                            writer.update_document(**document)
            version = changes[-1][0]
            writer.update_document(
                id=META_ID, doctype="meta", version=version, format=DOCUMENT_FORMAT
            )
            writer.commit()
            return int(version)
        except BaseException:
            writer.cancel()
            raise

    def differences(self) -> list[str]:
        """Return every difference between the database and the index (none when in step)."""
        with self.database.session() as session, session.begin():
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


def _analyze(field_name: str, text: str) -> list[str]:
    return [token.text for token in SCHEMA[field_name].analyzer(text, mode="query")]


def _terms_query(field_name: str, text: str) -> Query | None:
    tokens = _analyze(field_name, text)
    if not tokens:
        return None
    if len(tokens) == 1:
        return Term(field_name, tokens[0])
    return Phrase(field_name, tokens)


def _expansions(searcher: Any, field_name: str, words: Iterable[bytes]) -> list[str]:
    fieldobj = SCHEMA[field_name]
    found = []
    for raw in words:
        found.append(fieldobj.from_bytes(raw) if isinstance(raw, bytes) else raw)
        if len(found) >= MAX_EXPANSIONS:
            break
    return found


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

    def __init__(self, searcher: Any, parsed: querylang.ParsedQuery) -> None:
        self.searcher = searcher
        self.parsed = parsed
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

    def _prefix(self, text: str, fields: tuple[str, ...]) -> Query | None:
        prefix = analysis.fold(text)
        reader = self.searcher.reader()
        words = _expansions(self.searcher, "words", reader.expand_prefix("words", prefix))
        key = analysis.name_key(text)
        names = (
            _expansions(self.searcher, "names", reader.expand_prefix("names", key)) if key else []
        )
        if MAX_EXPANSIONS in (len(words), len(names)):
            self.parsed.note(
                f"{text}* stands for many words; only the first {MAX_EXPANSIONS} were searched."
            )
        self.terms.prefixes.add(prefix)
        terms = [Term("words", w) for w in words]
        terms += [Term("names", n) for n in names if "names" in fields or "districts" in fields]
        return Or(terms) if terms else Term("words", prefix)

    def _fuzzy(self, text: str, fields: tuple[str, ...]) -> Query | None:
        word = analysis.fold(text)
        self.terms.words.add(word)
        if len(word) < 4:
            return Term("words", word)
        return Or(
            [
                FuzzyTerm("words", word, maxdist=1, prefixlength=1),
                FuzzyTerm("names", analysis.name_key(text), maxdist=1, prefixlength=1),
            ]
        )


def _is_stop_word(clause: querylang.Clause) -> bool:
    folded = analysis.fold(clause.text)
    return clause.field is None and clause.kind == "word" and analysis.is_stop_word(folded)


class _Columns:
    """Per-document values of one searcher, read once, for filters, facets and date order."""

    def __init__(self, searcher: Any) -> None:
        self.doctype: dict[int, str] = {}
        self.values: dict[str, dict[int, tuple[str, ...]]] = {f: {} for f in FILTERS}
        self.date: dict[int, str] = {}
        self.key: dict[int, str] = {}
        self.cache: dict[tuple[str, str], frozenset[int]] = {}
        for docnum, stored in searcher.iter_docs():
            self.doctype[docnum] = stored.get("doctype", "")
            date = stored.get("date") or ""
            self.date[docnum] = date
            self.key[docnum] = stored.get("key", "")
            values = self.values
            values["kind"][docnum] = (stored["kind"],) if stored.get("kind") else ()
            values["year"][docnum] = (date[:4],) if date else ()
            for name, stored_name in (
                ("demand", "demand"),
                ("lang", "lang"),
                ("district", "district_keys"),
            ):
                raw = stored.get(stored_name) or ""
                values[name][docnum] = tuple(v for v in raw.split(",") if v)

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
        """Count facet values over the given documents."""
        counts: dict[str, dict[str, int]] = {name: {} for name in FILTERS}
        for docnum in docnums:
            for name in FILTERS:
                for value in self.values[name].get(docnum, ()):
                    counts[name][value] = counts[name].get(value, 0) + 1
        return counts


def _columns(searcher: Any) -> _Columns:
    columns: _Columns | None = getattr(searcher, "_archive_columns", None)
    if columns is None:
        columns = _Columns(searcher)
        searcher._archive_columns = columns
    return columns


def _matching(
    searcher: Any, query: Query | None, allowed: frozenset[int], deadline: float
) -> set[int]:
    if query is None:
        return set(allowed)
    found: set[int] = set()
    for count, docnum in enumerate(query.docs(searcher)):
        if docnum in allowed:
            found.add(docnum)
        if count % 2048 == 0 and time.monotonic() > deadline:
            raise _TimedOut
    return found


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


def _select(index: SearchIndex, text: str, filters: dict[str, str] | None) -> _Selection:
    """Select the statements a query and its filters match; raise SearchTooSlow past the limit."""
    index.ensure_current()
    parsed = querylang.parse(text)
    searcher = index.searcher()
    columns = _columns(searcher)
    compiler = _Compiler(searcher, parsed)
    try:
        query = compiler.query()
    except RecursionError:
        parsed.note("The query was too deeply nested and was ignored.")
        query = None
    allowed = columns.having("doctype", "statement")
    for name, value in (filters or {}).items():
        if value and name in FILTERS:
            allowed = allowed & columns.having(name, value)
    if parsed.date_from or parsed.date_to:
        allowed = allowed & columns.dated(parsed.date_from, parsed.date_to)
    try:
        matched = _matching(searcher, query, allowed, time.monotonic() + SEARCH_TIME_LIMIT)
    except _TimedOut as error:
        parsed.note("The search took too long and was stopped; try fewer or longer words.")
        raise SearchTooSlow(parsed.messages[-1]) from error
    return _Selection(searcher, columns, parsed, query, compiler.terms, matched)


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
    searcher, columns, parsed, query = found.searcher, found.columns, found.parsed, found.query
    results.messages, results.terms = parsed.messages, found.terms
    results.total = len(found.matched)
    results.facets = columns.count(found.matched)
    results.keys = _page(searcher, columns, query, found.matched, sort, page, per_page, parsed)
    if query is not None:
        people = columns.having("doctype", "person")
        if filters and filters.get("district"):
            people = people & columns.having("district", filters["district"])
        results.people = _ranked(searcher, query, frozenset(people), 8, parsed)
        if not found.matched:
            results.suggestion = _suggest(searcher, parsed, text)
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
    limit = max(len(found.matched), 1)
    ranked = _ranked(found.searcher, found.query, frozenset(found.matched), limit, found.parsed)
    seen = set(ranked)
    return ranked + [key for key in by_date if key not in seen], found.parsed.messages


def _by_date(columns: _Columns, matched: set[int]) -> list[int]:
    """Order documents newest first; one date's statements by key, never by docnum."""
    ordered = sorted(matched, key=columns.key.__getitem__)
    ordered.sort(key=columns.date.__getitem__, reverse=True)
    return ordered


def _page(
    searcher: Any,
    columns: _Columns,
    query: Query | None,
    matched: set[int],
    sort: str,
    page: int,
    per_page: int,
    parsed: querylang.ParsedQuery,
) -> list[str]:
    start = (page - 1) * per_page
    if sort == "date" or query is None:
        ordered = _by_date(columns, matched)
        return [columns.key[d] for d in ordered[start : start + per_page]]
    return _ranked(searcher, query, frozenset(matched), start + per_page, parsed)[start:]


def _ranked(
    searcher: Any, query: Query, allowed: frozenset[int], limit: int, parsed: querylang.ParsedQuery
) -> list[str]:
    if not allowed:
        return []
    # The filter wraps the time limit: the other way round, the time limit's loop skips it.
    timed = TimeLimitCollector(searcher.collector(limit=limit), SEARCH_TIME_LIMIT, use_alarm=False)
    collector = FilterCollector(timed, allow=set(allowed))
    try:
        searcher.search_with_collector(query, collector)
    except TimeLimit:
        parsed.note("Ranking took too long; the results shown are those found in time.")
    # Equal scores in key order, so that a rebuilt index ranks exactly as a caught-up one.
    hits = sorted(collector.results(), key=lambda hit: (-round(hit.score, 6), hit["key"]))
    return [hit["key"] for hit in hits]


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


# The app's index.


def get_index(app: Flask | None = None) -> SearchIndex:
    """Return the application's search index."""
    index: SearchIndex = (app or current_app).extensions["archive.search"]
    return index


def init_app(app: Flask) -> None:
    """Attach the search index to the app, keep it in step after commits, check it at start."""
    database = get_db(app)
    index = SearchIndex(app.config["INDEX_DIR"], database)
    app.extensions["archive.search"] = index
    database.after_commit.append(_catch_up_quietly(index))
    if migrate.current_revision(database) == migrate.head_revision():
        index.ensure_current()


def _catch_up_quietly(index: SearchIndex) -> Callable[[], None]:
    def catch_up() -> None:
        try:
            index.catch_up()
        except Exception:  # the database has committed; the next search catches up instead
            log.exception("search index could not catch up after a commit")

    return catch_up


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
