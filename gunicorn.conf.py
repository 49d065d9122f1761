"""Gunicorn's settings for the archive: ``gunicorn -c gunicorn.conf.py app:app``.

Settings given on the command line win over these (``--bind``, ``--workers``); every one here
says why it has its value. ``tests/web/test_gunicorn.py`` serves the archive with this file
and sends it malformed requests; the benchmark (``archive bench``) serves with it too.
"""

from __future__ import annotations

import os

from archive.index.querylang import MAX_QUERY_CHARS

# Loopback only: a reverse proxy in front (TLS, buffering of slow clients) is the way out.
bind = ["127.0.0.1:8000"]

# Sync workers answer one request each at a time; searches and pages are CPU work in Python,
# so two per core keep the cores busy while some wait on the database. WEB_CONCURRENCY, the
# usual variable, overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * len(os.sched_getaffinity(0)) + 1)
worker_class = "sync"

# A sync worker that has not finished its request within `timeout` seconds is killed. The
# longest legitimate answer is the export zip streamed at size L (2.5 million rows, about 25 s
# on the benchmark machine); searches stop themselves within their budgets, far below. Workers
# finish what they are answering for up to `graceful_timeout` seconds after a restart.
timeout = 120
graceful_timeout = 30
keepalive = 2

# No preload: each worker makes its own app, whose database engine and search-index threads
# must not be shared across fork (pooled connections and threads do not survive it).
preload_app = False

# The request line must fit the longest search the archive accepts whole: a query of
# MAX_QUERY_CHARS characters, each up to 4 UTF-8 bytes percent-encoded as %XX (12 bytes a
# character), on the JSON twin, with sort and page. That is 6,054 bytes; the filters (kind,
# year, district, demand, language: keys of a few ASCII characters) share what is left of
# gunicorn's largest allowed line, 8,190 bytes. A longer line answers 414 from gunicorn itself.
LONGEST_SEARCH_LINE = len(
    f"GET /search.json?q={'%F0%9F%93%9C' * MAX_QUERY_CHARS}&sort=relevance&page=99999 HTTP/1.1"
)
GUNICORN_MAX_REQUEST_LINE = 8190
assert LONGEST_SEARCH_LINE <= GUNICORN_MAX_REQUEST_LINE, LONGEST_SEARCH_LINE
limit_request_line = GUNICORN_MAX_REQUEST_LINE
# Browsers send a dozen headers and proxies add a few: gunicorn's defaults hold them (cookies
# are the archive's own and small); more, or a longer one, answers 431 from gunicorn itself.
limit_request_fields = 100
limit_request_field_size = 8190

# One line per request on stdout (the access log), gunicorn's own messages on stderr: a
# request gunicorn rejects before the app sees it is one WARNING line ("Invalid request from
# ip=...") plus its access line, never a traceback.
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss %(p)s'

# No control socket: its default path in $HOME is shared by every gunicorn of the user.
control_socket_disable = True
