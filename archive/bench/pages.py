"""The benchmark's measures of the pages: throughput and latency under gunicorn, and abuse.

The archive runs under gunicorn with the settings it ships (``gunicorn.conf.py``) and several
sync workers on 127.0.0.1, against the benchmark's database and index; the anchor is a Flask app
answering a constant string under the same gunicorn settings and the same load. The load comes
from :mod:`archive.bench.loadclient`, a process of its own. The abuse measure sends three
deliberately expensive searches at once while the load client reads statement pages, and looks
for killed or restarted workers in ``/proc`` and in gunicorn's log.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlencode

from archive.bench.loadclient import Load
from archive.bench.report import Row, percentile
from archive.index.querylang import MAX_QUERY_CHARS

CONCURRENCY = 8  # connections of the load client
ARCHIVE_APP = "archive:create_app()"
CONSTANT_APP = "archive.bench.command:constant_app()"
START_TIMEOUT = 120.0  # seconds for gunicorn's workers to answer
CLIENT_START = 1.0  # seconds the load client is given to fork before its start time
ABUSE_MIN_SECONDS = 8.0  # the abuse run lasts at least this long, whatever --duration says
ABUSE_SECONDS = 3.0  # expensive searches are sent round after round for this long
MAX_REQUEST_LINE = 3800  # bytes of a URL, well within gunicorn.conf.py's limit_request_line
# The settings the archive ships for gunicorn, used for the archive and its anchor alike.
GUNICORN_CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@dataclass(frozen=True)
class Pages:
    """The paths each page measure asks for."""

    home: list[str]
    search: list[str]
    statement: list[str]
    abuse: list[str]

    def kinds(self) -> dict[str, list[str]]:
        """Return the page kinds measured, with their paths."""
        return {
            "home page": self.home,
            "search page": self.search,
            "statement page": self.statement,
        }


def search_path(text: str, filters: Mapping[str, str] | None = None) -> str:
    """Return the URL of a search page."""
    return "/search?" + urlencode({"q": text, **(filters or {})})


def abusive_queries(words: Sequence[str]) -> list[str]:
    """Return three expensive searches: many prefixes, many fuzzy words, and a long OR of
    common words (longer than the query language keeps, within gunicorn's request line)."""
    words = [word for word in words if len(word) >= 4][:24] or ["resignation"]
    prefixes = " ".join(dict.fromkeys(f"{word[:3]}*" for word in words))
    fuzzy = " ".join(f"{word}~" for word in words)
    either = words[0]
    for word in itertools.cycle(words[1:] or words):
        longer = f"{either} OR {word}"
        if len(search_path(longer)) > MAX_REQUEST_LINE or len(either) > 2 * MAX_QUERY_CHARS:
            break
        either = longer
    return [search_path(prefixes), search_path(fuzzy), search_path(either)]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(port: int, path: str, timeout: float = 120.0) -> tuple[int, float]:
    """Request one path; return its status (0 on a connection error) and seconds."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return status, time.monotonic() - started


class Server:
    """A gunicorn master with its workers, started and stopped by the benchmark."""

    def __init__(self, app: str, workers: int, env: Mapping[str, str], folder: Path) -> None:
        self.app, self.workers, self.env = app, workers, dict(env)
        self.log = folder / f"gunicorn-{app.split(':')[0]}.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)]
        command += ["--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}"]
        command += ["--error-logfile", str(self.log), self.app]
        self.log.write_text("", encoding="utf-8")
        # The access log (a line per request, on stdout) is written and thrown away.
        self.process = subprocess.Popen(
            command, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self._tail()}")
            if (
                get(self.port, "/", timeout=10)[0] == 200
                and len(self.worker_pids()) == self.workers
            ):
                return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not answer in {START_TIMEOUT:.0f} s: {self._tail()}")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            # Quick shutdown (SIGTERM would wait for idle workers to notice).
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def _log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def _tail(self) -> str:
        return self._log_text()[-2000:]

    def worker_pids(self) -> set[int]:
        """Return the pids of the master's children, read from /proc."""
        if self.process is None:
            return set()
        master, found = self.process.pid, set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text(encoding="utf-8")
            except OSError:
                continue
            # The fields after the command name, which is in brackets and may hold spaces.
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.add(int(entry.name))
        return found

    def log_count(self, text: str) -> int:
        """Return how many lines of gunicorn's log contain ``text``."""
        return sum(1 for line in self._log_text().splitlines() if text in line)


class LoadRun:
    """A load client process running in the background, with its measured phase."""

    def __init__(self, server: Server, paths: Sequence[str], warmup: float, duration: float):
        start_at = time.monotonic() + CLIENT_START
        self.begin, self.end = start_at + warmup, start_at + warmup + duration
        command = [sys.executable, "-m", "archive.bench.loadclient", "--port", str(server.port)]
        command += ["--concurrency", str(CONCURRENCY), "--start-at", repr(start_at)]
        command += ["--warmup", str(warmup), "--duration", str(duration), "--", *paths]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE)

    def result(self) -> Load:
        """Wait for the client and return what it measured."""
        output, _errors = self.process.communicate()
        if self.process.returncode != 0:
            raise RuntimeError(f"the load client failed ({self.process.returncode})")
        return Load.from_json(json.loads(output))


def _warmup(duration: float) -> float:
    # Long enough for every worker to open the index and read its columns once.
    return min(5.0, duration)


def _ms(load: Load) -> float:
    return 1000 * percentile(load.latencies(), 95)


def _counts(load: Load) -> str:
    errors = sum(load.errors.values())
    return f"{len(load.requests):,} requests, {load.failures() - errors} non-200, {errors} errors"


def measure_pages(
    env: Mapping[str, str], folder: Path, workers: int, duration: float, pages: Pages
) -> list[Row]:
    """Measure each kind of page against the constant app, then the statement pages under
    abuse; return the rows."""
    warmup = _warmup(duration)
    every = [path for paths in pages.kinds().values() for path in paths]
    with Server(CONSTANT_APP, workers, env, folder) as constant:
        anchor = LoadRun(constant, every, warmup, duration).result()
    with Server(ARCHIVE_APP, workers, env, folder) as archive:
        ours = {
            kind: LoadRun(archive, paths, warmup, duration).result()
            for kind, paths in pages.kinds().items()
        }
        abuse = _abuse(archive, pages, warmup, duration)
    setting = (
        f"gunicorn, {workers} sync workers; {CONCURRENCY} connections for {duration:g} s "
        f"after {warmup:g} s of warm-up"
    )
    rows = []
    for kind, measured in ours.items():
        notes = f"{len(pages.kinds()[kind])} URLs; {_counts(measured)}"
        rows.append(Row(f"{kind}, throughput", measured.rate(), anchor.rate(), "req/s", notes))
        rows.append(Row(f"{kind}, p95 latency", _ms(measured), _ms(anchor), "ms", notes))
    rows[0].notes += f"; {setting}; anchor: a constant string under the same settings and load"
    rows[1].notes += f"; anchor: {_counts(anchor)}"
    return [*rows, *abuse]


@dataclass
class _Abuse:
    """Rounds of expensive searches sent at once: when, and what each answered."""

    sent: float
    done: float
    rounds: int
    answers: list[tuple[int, float]]

    def window(self, load: Load) -> tuple[float, float]:
        """The seconds the statement pages are measured in: at least one, within the load."""
        return self.sent, min(max(self.done, self.sent + 1.0), load.end)


def _send_rounds(server: Server, paths: Sequence[str], seconds: float) -> _Abuse:
    """Send the paths all at once, round after round for ``seconds`` (one round at least)."""
    answers: list[tuple[int, float]] = []

    def send(path: str) -> None:
        answers.append(get(server.port, path))

    sent, rounds = time.monotonic(), 0
    while rounds == 0 or time.monotonic() < sent + seconds:
        threads = [threading.Thread(target=send, args=(path,)) for path in paths]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rounds += 1
    return _Abuse(sent, time.monotonic(), rounds, answers)


def _abuse(server: Server, pages: Pages, warmup: float, duration: float) -> list[Row]:
    """Read statement pages while three expensive searches run at once, first once, then
    round after round for a few seconds; compare the rate in those seconds with the same
    load's rate just before and just after (on this machine the rate drifts by half within
    ten seconds, in steps that last seconds, so a rate measured apart is no anchor)."""
    seconds = max(duration, ABUSE_MIN_SECONDS)
    pids, booted = server.worker_pids(), server.log_count("Booting worker")
    run = LoadRun(server, pages.statement, warmup, seconds)
    time.sleep(max(0.0, run.begin + seconds / 5 - time.monotonic()))
    once = _send_rounds(server, pages.abuse, 0.0)
    time.sleep(max(0.0, run.begin + seconds / 2 - time.monotonic()))
    sustained = _send_rounds(server, pages.abuse, ABUSE_SECONDS)
    measured = run.result()
    windows = [abuse.window(measured) for abuse in (once, sustained)]
    killed = len(pids - server.worker_pids())
    restarted = server.log_count("Booting worker") - booted
    timeouts = server.log_count("WORKER TIMEOUT")
    workers = (
        "no worker killed or restarted"
        if not (killed or restarted or timeouts)
        else f"{killed} worker(s) gone, {restarted} booted, {timeouts} WORKER TIMEOUT"
    )
    rows = []
    for name, abuse, (start, end) in (
        ("statement pages during abuse", once, windows[0]),
        ("statement pages during sustained abuse", sustained, windows[1]),
    ):
        statuses = dict(sorted(Counter(status for status, _took in abuse.answers).items()))
        slowest = max(took for _status, took in abuse.answers)
        late = "; the last ended after the measure" if abuse.done > measured.end else ""
        rows.append(
            Row(
                name,
                measured.rate(start, end),
                _around(measured, start, end),
                "req/s",
                f"{len(pages.abuse)} expensive searches at once (prefixes, fuzzy words, a long "
                f"OR), {abuse.rounds} round(s) in {abuse.done - abuse.sent:.2f} s: statuses "
                f"{statuses}, the slowest {slowest:.2f} s{late}; rate over {end - start:.1f} s; "
                f"anchor: the rate in the second before and the second after; {workers}",
            )
        )
    rows[0].notes = f"target ratio >= 0.80; {rows[0].notes}; {_counts(measured)}"
    return rows


def _around(load: Load, start: float, end: float) -> float:
    """Return a load's rate in the second before ``start`` and the second after ``end``."""
    return (load.rate(start - 1.0, start) + load.rate(end, end + 1.0)) / 2
