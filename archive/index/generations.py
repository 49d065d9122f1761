"""The index on disk, kept in step with the database: generations in one folder, the live one
named by a ``CURRENT`` pointer.

The database is the truth and the index a cache of it. The revision log is the outbox: the
index stores the newest revision it reflects, and :meth:`SearchIndex.catch_up` applies the
revisions after it, under the index's write lock with a timeout, so that any number of processes
can catch up at once without losing an update or failing on a lock. Catching up runs after each
write transaction commits (never at flush time, so a rolled-back transaction leaves no trace),
before a command writes (:meth:`SearchIndex.prepare`), and before each search if the database
has moved on by a little (:meth:`SearchIndex.freshen`). :meth:`SearchIndex.rebuild` builds a
whole new index beside the live one and switches to it atomically by rewriting the ``CURRENT``
pointer.

A request never rebuilds and never waits: what it cannot do at once (a large backlog, a missing
or damaged index) it hands to a background thread of its process (:meth:`SearchIndex.wake`),
one process per index folder at a time, and answers from the index as it is, saying how far
behind it is; while the live generation is unusable, from the previous one if it is usable.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

from archive.data import migrations
from archive.data.database import Database
from archive.data.models import Revision
from archive.data.revisions import dataset_version
from archive.index.columns import Columns, SegmentColumns
from archive.index.documents import all_keys, documents
from archive.index.schema import DOCUMENT_FORMAT, META_ID, SCHEMA
from archive.index.touched import affected
from archive.index.whoosh_private import BM25FWithLengthsInMemory, BulkCodec

log = logging.getLogger(__name__)

WRITE_LOCK_TIMEOUT = 30.0  # seconds to wait for another process's index writer
# After its own commit a writer waits longer: left behind, a large backlog would stay until
# someone runs ``archive reindex --catch-up`` (a search catches up only small ones).
COMMIT_LOCK_TIMEOUT = 600.0
# Documents from which a new index is written by one process per core.
PARALLEL_FROM = 5_000
# Seconds the background maintenance of a process rests after it failed (an index folder that
# cannot be written, a database that cannot be read), however often searches ask for it.
MAINTENANCE_RETRY = 30.0
# The file whose lock the process maintaining an index folder in the background holds.
MAINTENANCE_LOCK = "MAINTAIN.lock"


class IndexUnavailable(Exception):
    """There is no usable search index (none yet, unreadable, of another format, or newer than
    the database); one is being built in the background."""


@dataclass(frozen=True)
class Freshness:
    """How current the index a search read is: the dataset version it reflects (``indexed``)
    and the database's (``current``), both revision ids."""

    indexed: int
    current: int

    @property
    def behind(self) -> int:
        """Return the number of changes (revisions) the index lacks: dataset versions are
        dense, so it is the difference of the two versions."""
        return max(self.current - self.indexed, 0)


class SearchIndex:
    """The search index of one folder, kept in step with one database.

    The folder holds generations (``gen-<time>-<process>``), each a whole Whoosh index, and
    ``CURRENT``, naming the live one; each thread searches with a searcher of its own.
    """

    def __init__(self, folder: str | Path, database: Database) -> None:
        self.folder = Path(folder)
        self.database = database
        self._lock = threading.Lock()
        self._index: Any = None
        self._generation: str | None = None
        self._local = threading.local()
        # Each segment's per-document values, by segment id, for the searchers' columns.
        self.segments: dict[str, SegmentColumns] = {}
        # Each searcher's columns, made at its first search and dropped with the searcher.
        self._columns: weakref.WeakKeyDictionary[Any, Columns] = weakref.WeakKeyDictionary()
        # The background maintenance: its thread while it runs, whether a request asked for it
        # since it last looked, and until when (time.monotonic) it rests after a failure.
        self._worker: threading.Thread | None = None
        self._wanted = False
        self._resting_until = 0.0

    def _current(self) -> str | None:
        try:
            return (self.folder / "CURRENT").read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def open(self) -> Any:
        """Return the live Whoosh index, reopening it when another process switched it.

        Raises whoosh.index.EmptyIndexError when the folder holds no index yet.
        """
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
        """Return this thread's searcher, refreshed (one per thread, reused across requests;
        not to be closed by the caller), scoring with :class:`BM25FWithLengthsInMemory`.

        A new searcher replaces the thread's once the index has changed (a commit to it, or
        another generation switched in).
        Raises whoosh.index.EmptyIndexError when the folder holds no index yet.
        """
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
            current = index.searcher(weighting=BM25FWithLengthsInMemory())
        self._local.searcher, self._local.index = current, index
        return current

    def close(self) -> None:
        """Close this thread's searchers (of the live generation, and of one standing in)."""
        current = getattr(self._local, "searcher", None)
        if current is not None:
            current.close()
            self._local.searcher = None
        self._drop_stand_in()

    def columns(self, searcher: Any) -> Columns:
        """Return a searcher's per-document values, put together at its first search from the
        values each of its segments keeps (only a new segment's are read from the index), and
        kept as long as the searcher lives."""
        columns = self._columns.get(searcher)
        if columns is None:
            with self._lock:
                columns = Columns(searcher, self.segments)
                self._columns[searcher] = columns
        return columns

    def version(self) -> int:
        """Return the dataset version the index reflects (the id of the newest revision in it).

        Raises whoosh.index.EmptyIndexError when there is no index or it has no version.
        """
        return _version_of(self.searcher())

    def _usable_version(self) -> int:
        """Return the version of the live index; raise EmptyIndexError when there is none,
        IndexVersionError when its documents are of another DOCUMENT_FORMAT, and whatever
        reading a damaged folder raises."""
        meta = _meta(self.searcher())
        if meta.get("format") != DOCUMENT_FORMAT:
            raise whoosh_index.IndexVersionError("documents of another format", 0)
        return int(meta["version"])

    def reflects(self) -> int:
        """Return the dataset version the index reflects, or 0 when there is no usable index
        (none yet, or its folder cannot be read): never raises."""
        try:
            return self.version()
        except (whoosh_index.EmptyIndexError, OSError):
            return 0

    def ensure_current(self, wait: float = WRITE_LOCK_TIMEOUT, limit: int | None = None) -> str:
        """Rebuild a missing, unreadable or foreign index; catch up a stale one; say which.

        The catch-up waits ``wait`` seconds for another process's writer, and is skipped when
        more than ``limit`` revisions are missing (None: however many). Returns "rebuilt",
        "caught up", "current" or "stale" (too far behind: left to the process that wrote).
        An index of another DOCUMENT_FORMAT, or newer than the database, is rebuilt.
        """
        seen = self._current() or ""  # the generation found unusable; "" for none
        try:
            indexed = self._usable_version()
        except whoosh_index.EmptyIndexError:
            log.info("no search index in %s yet; building it", self.folder)
            self.rebuild(unless_switched_from=seen, unusable=True)
            return "rebuilt"
        except Exception as error:  # a truncated, corrupt or outdated index
            log.warning("search index unusable (%s); rebuilding", error)
            self.rebuild(unless_switched_from=seen, unusable=True)
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

    def freshen(self, limit: int) -> tuple[Freshness, Any]:
        """Bring the index as close to the database as a request may; return how close it is
        and the searcher to search with (this thread's, not to be closed by the caller).

        For a request: it never rebuilds and never waits for another process's writer. A
        backlog of up to ``limit`` revisions is applied at once unless a writer is busy (whose
        process is applying it); anything more is left to the background (:meth:`wake`), and
        the index answers as it is. While the live generation is unusable and the background
        rebuilds it, the newest other generation that is usable stands in (read only). Raises
        IndexUnavailable, after waking the background, when no generation is usable.
        """
        try:
            indexed = self._usable_version()
        except Exception as error:  # none yet, or a truncated, damaged or outdated folder
            self.wake()
            stand_in = self._stand_in(unusable=self._current())
            if stand_in is None:
                raise IndexUnavailable(repr(error)) from error
            with self.database.session() as session:
                return Freshness(_version_of(stand_in), dataset_version(session)), stand_in
        self._drop_stand_in()
        with self.database.session() as session:
            current = dataset_version(session)
        if indexed > current:  # the database was replaced by an older one
            self.wake()
            raise IndexUnavailable(f"the index is at version {indexed}, the database {current}")
        if 0 < current - indexed <= limit:
            indexed = self.catch_up(wait=0, rebuild=False)
        if indexed < current:
            self.wake()
        return Freshness(indexed, current), self.searcher()

    def _stand_in(self, unusable: str | None) -> Any | None:
        """Return this thread's searcher of the newest usable generation but ``unusable`` (the
        live one), opening it the first time, or None when there is none."""
        held = getattr(self._local, "stand_in", None)
        if held is not None and held[0] != unusable and (self.folder / held[0]).is_dir():
            return held[1]
        self._drop_stand_in()
        for path in sorted(self.folder.glob("gen-*"), reverse=True):  # newest first
            if path.name == unusable:
                continue
            searcher = None
            try:
                index = FileStorage(str(path), supports_mmap=False).open_index()
                searcher = index.searcher(weighting=BM25FWithLengthsInMemory())
                if _meta(searcher).get("format") == DOCUMENT_FORMAT:
                    self._local.stand_in = (path.name, searcher)
                    return searcher
            except Exception:  # an unusable generation too: try the next one
                pass
            if searcher is not None:
                searcher.close()
        return None

    def _drop_stand_in(self) -> None:
        held = getattr(self._local, "stand_in", None)
        if held is not None:
            held[1].close()
            self._local.stand_in = None

    def wake(self) -> None:
        """Have a thread of this process bring the index up to date (:meth:`ensure_current`,
        waiting for other writers as long as a command would), unless one is at it already or
        the last attempt failed less than MAINTENANCE_RETRY seconds ago; return at once.

        One process per index folder maintains it at a time (a lock file): the others' threads
        find the lock taken and end, since that process applies what they would.
        """
        with self._lock:
            self._wanted = True
            if self._worker is not None and self._worker.is_alive():
                return
            if time.monotonic() < self._resting_until:
                return
            self._worker = threading.Thread(
                target=self._maintain, name="search-index-maintenance", daemon=True
            )
            self._worker.start()

    def settle(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds (None: however long) for the background maintenance
        of this process to end; return whether it has."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
            return not worker.is_alive()
        return True

    def _maintain(self) -> None:
        """Run maintenance until no request has asked for it since it last began."""
        while True:
            with self._lock:
                if not self._wanted:
                    self._worker = None
                    return
                self._wanted = False
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                with (self.folder / MAINTENANCE_LOCK).open("a+b") as lock:
                    try:
                        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # another process is maintaining the folder
                    outcome = self.ensure_current(wait=COMMIT_LOCK_TIMEOUT)
                if outcome != "current":
                    log.info("search index %s in the background", outcome)
            except Exception as error:  # one line: the next search after the rest tries again
                log.warning("search index maintenance failed: %r", error)
                with self._lock:
                    self._resting_until = time.monotonic() + MAINTENANCE_RETRY
            finally:
                self.close()  # this thread's searcher, which would outlive it unclosed

    def catch_up_after_commit(self) -> None:
        """Apply a committed write's revisions, waiting up to COMMIT_LOCK_TIMEOUT seconds for
        another writer; never raise (the database has committed, a later catch-up applies
        what this one could not)."""
        try:
            self.catch_up(wait=COMMIT_LOCK_TIMEOUT)
        except Exception as error:  # one line: the caller says what it means for its user
            log.warning("search index could not catch up after a commit: %r", error)

    def rebuild(self, unless_switched_from: str | None = None, unusable: bool = False) -> int:
        """Build a new index beside the live one from the database, then switch to it; return
        the dataset version the new index reflects.

        One process rebuilds at a time. Given the generation that looked unusable, a process
        that waited for another's rebuild uses that one instead of building its own; with
        ``unusable``, that generation is dropped after the switch instead of being kept as
        the previous one (the newest other is kept: searches may be reading it meanwhile). A
        failed rebuild removes what it wrote and raises what failed; the live index stays.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "REBUILD.lock").open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if unless_switched_from not in (None, self._current() or ""):
                return self.version()
            return self._build(unless_switched_from if unusable else None)

    def _build(self, unusable: str | None = None) -> int:
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
        self._switch(generation, unusable)
        return version

    def _switch(self, generation: str, unusable: str | None = None) -> None:
        previous = self._current()
        pointer = self.folder / f"CURRENT.{os.getpid()}.tmp"
        pointer.write_text(generation, encoding="utf-8")
        os.replace(pointer, self.folder / "CURRENT")
        # Keep the previous generation: another process may still be reading it. An unusable
        # one is read by nobody: the newest before it may be standing in for it instead.
        keep = {generation, previous}
        if previous is not None and previous == unusable:
            older = sorted(p.name for p in self.folder.glob("gen-*") if p.name not in keep)
            keep = {generation, *older[-1:]}
        for old in self.folder.glob("gen-*"):
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)

    def catch_up(self, wait: float = WRITE_LOCK_TIMEOUT, rebuild: bool = True) -> int:
        """Apply the revisions the index lacks, under its write lock; return the dataset
        version the index then reflects.

        It waits ``wait`` seconds for another process's writer (0: not at all), then leaves
        the catch-up to that process (and returns the version as it is). Raises
        IndexUnavailable when the folder holds no index yet.

        When so much changed that a new index is quicker to write on every core, the
        revisions are not applied one by one: the index is rebuilt, or, with ``rebuild``
        False, nothing is done (the version is returned as it is).
        """
        try:
            index = self.open()
        except whoosh_index.EmptyIndexError as error:
            raise IndexUnavailable("there is none") from error
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
            if not rebuild:
                return self.version()
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
        """Return every difference between the database and the index, one sentence each
        (none when in step): the index's version, then the documents missing from the index,
        those it holds that the database does not, and those whose digests differ, each in
        document id order. Raises IndexUnavailable when there is no index or it cannot be
        read."""
        with self.database.snapshot() as session:
            version = dataset_version(session)
            expected = {
                document["id"]: document["digest"]
                for doctype, keys in all_keys(session).items()
                for _key, document in documents(session, doctype, keys)
                if document is not None
            }
        try:
            searcher = self.searcher()
            at = _version_of(searcher)
            indexed = {
                f["id"]: f.get("digest")
                for f in searcher.all_stored_fields()
                if f.get("doctype") != "meta"
            }
        except whoosh_index.EmptyIndexError:
            raise IndexUnavailable("there is none") from None
        except Exception as error:  # a damaged folder: what reading it raised, in one line
            raise IndexUnavailable(f"it cannot be read ({error!r})") from None
        problems = []
        if at < version:
            problems.append(
                f"the index lags {version - at} change(s) behind the database: "
                f"it is at dataset version {at}, the database at {version}"
            )
        elif at > version:
            problems.append(
                f"the index is ahead of the database: it is at dataset version {at}, "
                f"the database at {version} (was the database replaced by an older one?)"
            )
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


def _bulk_writer(index: Any, documents: int) -> Any:
    """Return a writer for a new index: one process per core for many documents, except in a
    background thread (a process forked from a thread can inherit locks held by the others).

    Each process keeps up to about a gigabyte of postings in memory before it sorts them into
    a run on disk: at 20,000 statements everything fits, and the rebuild takes 36 s instead of
    the 55 s it took with runs written and merged back at 128 MB.
    """
    cores = os.cpu_count() or 1
    in_main_thread = threading.current_thread() is threading.main_thread()
    if documents >= PARALLEL_FROM and cores > 1 and in_main_thread:
        return index.writer(
            procs=min(cores, 4),
            multisegment=True,
            batchsize=250,
            limitmb=1024,
            codec=BulkCodec(),
        )
    return index.writer(limitmb=128, codec=BulkCodec())


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
