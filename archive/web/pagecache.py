"""Whole pages kept per dataset version, in each process.

A record's page is a function of the data and of its URL alone: rendered once for a dataset
version, it stays the same until the next write. So the home and statement pages are kept
(per process, the least recently used dropped first beyond MAX_CHARS) and served again at the
cost of one query, the version's, on a connection of its own (a session and its snapshot cost
three times as much). A write makes a new version, and the pages of the old one are dropped.
A page rendered anew is kept under the version its own session read, so that a write between
the two reads cannot file it under the wrong one. A page that depends on anything else is not
kept: the search page's results depend on time limits, and its index may lag behind the
database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from cachetools import LRUCache
from flask import g, request
from sqlalchemy.exc import SQLAlchemyError

from archive.data.revisions import dataset_version
from archive.web.context import get_db, get_session

MAX_CHARS = 8_000_000  # characters of pages kept per process (at most 4 bytes each in memory)
MAX_PAGE_CHARS = MAX_CHARS // 16  # a larger page is not kept: it would push out too many


class PageCache:
    """Pages by URL for one dataset version of one database, least recently used first out."""

    def __init__(self, max_chars: int = MAX_CHARS, max_page_chars: int = MAX_PAGE_CHARS) -> None:
        self.max_page_chars = min(max_page_chars, max_chars)  # LRUCache refuses a larger one
        self.version: tuple[str, int] | None = None
        self.pages: LRUCache[str, str] = LRUCache(maxsize=max_chars, getsizeof=len)
        self._lock = threading.Lock()  # the development server answers in threads

    def get(self, version: tuple[str, int], url: str) -> str | None:
        """Return the page kept for ``url`` at ``version``, or None."""
        with self._lock:
            return self.pages.get(url) if version == self.version else None

    def put(self, version: tuple[str, int], url: str, page: str) -> None:
        """Keep a page of ``url`` at ``version``, dropping the pages of any other version."""
        with self._lock:
            if version != self.version:
                self.version = version
                self.pages.clear()
            if len(page) <= self.max_page_chars:
                self.pages[url] = page


_pages = PageCache()


def request_version() -> int | None:
    """Return the dataset version the request reads (read once), or None when the database
    cannot be read (a page that says so)."""
    if "dataset_version" not in g:
        try:
            g.dataset_version = dataset_version(get_session().connection())
        except SQLAlchemyError:
            g.dataset_version = None
    version: int | None = g.dataset_version
    return version


def cached(render: Callable[[], str]) -> str:
    """Return this request's page: kept from a request of the same URL and data, or rendered
    now (and kept)."""
    database = get_db()
    name = database.url.render_as_string()
    try:
        with database.engine.connect() as connection:
            now = dataset_version(connection)
    except SQLAlchemyError:
        return render()  # which says the database cannot be read
    url = _request_url()
    page = _pages.get((name, now), url)
    if page is None:
        page = render()
        version = request_version()
        if version is not None:
            _pages.put((name, version), url, page)
    return page


def _request_url() -> str:
    """Return the URL asked for, as the server received it (everything a page's links depend
    on: scheme, host, mount point, path and query); request.url would decode it, at a cost."""
    environ = request.environ
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return (
        f"{environ['wsgi.url_scheme']}://{host}{environ.get('SCRIPT_NAME', '')}"
        f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    )
