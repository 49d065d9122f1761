"""Malformed requests through a real gunicorn with the shipped settings (gunicorn.conf.py).

Every request below is sent as raw bytes on its own connection to gunicorn serving the demo
archive. Whatever gunicorn or the app makes of it, an answer must be below 500 (or the
connection closed without one), and gunicorn's log must show no traceback and no ERROR line:
a rejected request is one access line, and for one gunicorn rejects itself one WARNING line
("Invalid request from ip=...").

Not sent: a ``Transfer-Encoding`` gunicorn does not know, which it answers 501 (as RFC 9112
asks of a server: "not implemented" is the truth there, and nothing reaches the app).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask

from archive.index.querylang import MAX_QUERY_CHARS
from tests.conftest import close
from tests.web.served import Gunicorn, environment

STATEMENT = "/statements/2022-09-municipal-deputies-demand-putin-resignation"
END = b"Connection: close\r\n\r\n"


def _get(target: bytes, *headers: bytes) -> bytes:
    """Return a GET request line for ``target`` with a good Host and the headers given."""
    return b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\n" + b"".join(headers) + END


def _host(value: bytes, path: bytes = b"/people") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: " + value + b"\r\n" + END


# The longest search the archive takes whole: MAX_QUERY_CHARS characters of four UTF-8 bytes.
LONGEST_QUERY = quote("\U0001f4dc" * MAX_QUERY_CHARS)

MALFORMED: dict[str, bytes] = {
    # Hosts werkzeug rejects before routing (the error page then has no URL adapter).
    "host with an empty label": _host(b"a..b"),
    "host with a 64-character label": _host(b"a" * 64 + b".example"),
    "host with an empty label, on a statement": _host(b"a..b", STATEMENT.encode()),
    "host with an empty label, on a JSON twin": _host(b"a..b", b"/people.json"),
    "host with an empty label, on a CSV twin": _host(b"a..b", b"/search.csv?q=putin"),
    "host with an empty label, on a static file": _host(b"a..b", b"/static/archive.css"),
    "empty host": _host(b""),
    "host with spaces": _host(b"a b"),
    "host of non-ASCII bytes": _host("пример.рф".encode()),
    "host of bytes that are not UTF-8": _host(b"\xff\xfe.example"),
    "host with a port out of range": _host(b"localhost:99999"),
    "two hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + END,
    "no host in HTTP/1.1": b"GET / HTTP/1.1\r\n" + END,
    # Methods.
    "unknown method": b"FROB / HTTP/1.1\r\nHost: localhost\r\n" + END,
    "lowercase method": b"get / HTTP/1.1\r\nHost: localhost\r\n" + END,
    "TRACE": b"TRACE / HTTP/1.1\r\nHost: localhost\r\n" + END,
    "CONNECT": b"CONNECT localhost:443 HTTP/1.1\r\nHost: localhost\r\n" + END,
    "OPTIONS *": b"OPTIONS * HTTP/1.1\r\nHost: localhost\r\n" + END,
    "DELETE": b"DELETE /people HTTP/1.1\r\nHost: localhost\r\n" + END,
    "POST to a page": b"POST /search HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n"
    + END
    + b"q=a",
    "method of 300 letters": b"A" * 300 + b" / HTTP/1.1\r\nHost: localhost\r\n" + END,
    # Headers.
    "header with a NUL": _get(b"/", b"X-Thing: a\x00b\r\n"),
    "header value not Latin-1": _get(b"/", "X-Thing: пример\r\n".encode()),
    "header name not ASCII": _get(b"/", "Ключ: value\r\n".encode()),
    "header line without a colon": _get(b"/", b"Not a header line\r\n"),
    "header name with a space": _get(b"/", b"X Thing: value\r\n"),
    "folded header": _get(b"/", b"X-Thing: a\r\n  folded\r\n"),
    "huge header": _get(b"/", b"X-Thing: " + b"a" * 20_000 + b"\r\n"),
    "too many headers": _get(b"/", *(b"X-H%d: v\r\n" % n for n in range(200))),
    "garbage cookie": _get(b"/", b"Cookie: \xff=\xfe; ;;=; session=\x01\r\n"),
    "garbage If-Modified-Since": _get(b"/static/archive.css", b"If-Modified-Since: never\r\n"),
    "range past the end": _get(b"/static/archive.css", b"Range: bytes=999999999-\r\n"),
    "malformed range": _get(b"/static/archive.css", b"Range: bytes=z-y\r\n"),
    "unknown expectation": _get(b"/", b"Expect: miracles\r\n"),
    "Accept of nonsense": _get(b"/search", b"Accept: ;;;q=x, */*;q=2\r\n"),
    # Paths and their encodings.
    "overlong request line": _get(b"/search?q=" + b"a" * 9000),
    "search with an invalid escape": _get(b"/search?q=%zz"),
    "search with escapes of no UTF-8": _get(b"/search?q=%ff%fe"),
    "JSON search with escapes of no UTF-8": _get(b"/search.json?q=%ff%fe&kind=%c0"),
    "CSV search with an invalid escape": _get(b"/search.csv?q=%zz&year=%"),
    "search for a NUL": _get(b"/search?q=%00"),
    "search with a page of 30 digits": _get(b"/search?q=putin&page=" + b"9" * 30),
    "search with a negative page": _get(b"/search.json?q=&page=-1"),
    "search with an unknown sort": _get(b"/search?q=putin&sort=%3Cscript%3E"),
    "search with every parameter twice": _get(b"/search?q=a&q=b&kind=x&kind=y&page=1&page=2"),
    "search with a filter too long": _get(b"/search?district=" + b"x" * 5000),
    "list with a page of 30 digits": _get(b"/people?page=" + b"9" * 30),
    "list with an unknown sort": _get(b"/statements.csv?sort=%ff"),
    "raw path bytes not UTF-8": _get(b"/people/\xff\xfe"),
    "escaped path bytes not UTF-8": _get(b"/people/%ff%fe.json"),
    "escaped surrogate in a key": _get(b"/sources/%ed%a0%80"),
    "escaped overlong UTF-8 in a key": _get(b"/districts/%c0%ae%c0%ae/x"),
    "path with a NUL": _get(b"/statements/%00"),
    "JSON twin with a NUL": _get(b"/sources/a%00b.json"),
    "district with a NUL": _get(b"/districts/ru/%00"),
    "filter with a NUL": _get(b"/search.json?district=ru%00"),
    "page with a NUL": _get(b"/people?page=1%00"),
    "path with raw spaces": _get(b"/people/a b c"),
    "path of 7,000 characters": _get(b"/people/" + b"x" * 7000),
    "absolute-form target": _get(b"http://evil.example/people"),
    "target without a slash": _get(b"people"),
    "path starting with two slashes": _get(b"//evil.example/statements/"),
    "traversal": _get(b"/../../etc/passwd"),
    "traversal in static files": _get(b"/static/../../app.py"),
    "escaped traversal in static files": _get(b"/static/%2e%2e/%2e%2e/app.py"),
    "escaped slashes in static files": _get(b"/static/..%2f..%2fapp.py"),
    "backslash traversal in static files": _get(b"/static/..\\..\\app.py"),
    "traversal in a key": _get(b"/districts/../../etc"),
    "escaped traversal in a district": _get(b"/districts/ru/%2e%2e/%2e%2e/x"),
    "fragment sent": _get(b"/people#frag"),
    # Bodies and lengths.
    "absurd Content-Length": _get(b"/search", b"Content-Length: " + b"9" * 40 + b"\r\n"),
    "negative Content-Length": _get(b"/search", b"Content-Length: -1\r\n"),
    "Content-Length not a number": _get(b"/", b"Content-Length: abc\r\n"),
    "two Content-Lengths": _get(b"/", b"Content-Length: 1\r\nContent-Length: 2\r\n"),
    "body on GET": b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n" + END + b"hello",
    "Content-Length and chunked": b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n"
    b"Transfer-Encoding: chunked\r\n" + END + b"0\r\n\r\n",
    "chunk of bad size": b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
    + END
    + b"zz\r\nabc\r\n0\r\n\r\n",
    # Request lines.
    "HTTP/0.9": b"GET /\r\n\r\n",
    "HTTP/2.0 request line": b"GET / HTTP/2.0\r\nHost: localhost\r\n" + END,
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "HTTP/1.2": b"GET / HTTP/1.2\r\nHost: localhost\r\n" + END,
    "version of nonsense": b"GET / HTTPS/one\r\nHost: localhost\r\n" + END,
    "request line of four words": b"GET / / HTTP/1.1\r\nHost: localhost\r\n" + END,
    "only a line break": b"\r\n",
    "binary garbage": bytes(range(256)) * 4,
    "TLS handshake": bytes.fromhex("16030100a5010000a10303") + b"\x00" * 200,
    "request cut halfway": b"GET /people HTTP/1.1\r\nHost: loc",
}

# Requests that must be answered in full, however long: the longest search the archive takes.
ANSWERED = {
    "longest search": (_get(b"/search?q=" + LONGEST_QUERY.encode() + b"&sort=date"), 200),
    "longest JSON search": (_get(b"/search.json?q=" + LONGEST_QUERY.encode()), 200),
}
# Requests gunicorn closes without an answer: nothing to answer, or not HTTP at all.
UNANSWERED = {"only a line break", "TLS handshake", "request cut halfway"}
STATUS = re.compile(rb"^HTTP/\d\.\d (\d{3}) ")


@pytest.fixture
def served(demo: Flask, tmp_path: Path) -> Iterator[Gunicorn]:
    """Serve the demo archive with gunicorn.conf.py's settings; stop it afterwards."""
    env = environment(demo.config["DATABASE_URL"], demo.config["INDEX_DIR"])
    close(demo)
    server = Gunicorn.start(env, tmp_path / "gunicorn.log")
    try:
        yield server
    finally:
        server.stop()


def send(port: int, request: bytes) -> tuple[int, bytes]:
    """Send raw bytes, close our side, and read until gunicorn closes the connection; return
    the answer's status (0 when none came) and the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # gunicorn answered and closed before taking all of it
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    found = STATUS.match(answer)
    return (int(found.group(1)) if found else 0), answer


def test_malformed_requests_get_no_5xx_and_leave_no_traceback(served: Gunicorn) -> None:
    statuses = {name: send(served.port, request)[0] for name, request in MALFORMED.items()}
    for name, (request, expected) in ANSWERED.items():
        statuses[name] = send(served.port, request)[0]
        assert statuses[name] == expected, f"{name}: {statuses[name]}"
    served.stop()
    log = served.text()
    failed = {name: status for name, status in statuses.items() if status >= 500}
    assert not failed, f"5xx answers: {failed}\n{log}"
    assert "Traceback" not in log
    assert [line for line in log.splitlines() if "[ERROR]" in line] == []
    assert log.count("[WARNING] Invalid request from ip=127.0.0.1") >= 10
    assert {name for name, status in statuses.items() if status == 0} <= UNANSWERED
    assert {statuses[name] for name in statuses if "traversal" in name or "slashes" in name} == {
        404
    }
    assert {statuses[name] for name in statuses if name.startswith("host with an empty")} == {400}
    print("\n" + "\n".join(f"{status:>3}  {name}" for name, status in statuses.items()))


def test_the_longest_search_fits_the_request_line() -> None:
    """gunicorn.conf.py's request-line limit holds the longest search the archive takes whole."""
    settings: dict[str, object] = {}
    path = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), settings)
    line = _get(b"/search.json?q=" + LONGEST_QUERY.encode() + b"&sort=date").split(b"\r\n")[0]
    assert len(line) <= int(str(settings["limit_request_line"])) <= 8190
    assert settings["preload_app"] is False
