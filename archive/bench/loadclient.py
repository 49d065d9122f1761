"""A small HTTP load client for the benchmark: fixed concurrency, fixed duration, every latency.

It runs as a process of its own (``python -m archive.bench.loadclient``), apart from the server and
the benchmark, and forks one process per connection so that the client's own Python work is
not serialised by one interpreter lock. Every connection asks for the given paths in turn
(each starting at another one) and records, for each request, when it ended, how long it took
and its status (0 for a connection error or a timeout). The phases are absolute times on the
system's monotonic clock, which all processes share: a warm-up whose requests are not kept,
then the measured seconds. A request counts when it ends within the measured seconds.

The result is one JSON object on standard output: ``{"begin", "end", "requests": [[ended,
seconds, status], ...], "errors": {kind: count}}``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = 60.0  # seconds before a request counts as an error


@dataclass
class Load:
    """What one load run saw: its measured seconds and every request that ended in them."""

    begin: float
    end: float
    requests: list[tuple[float, float, int]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """Return the length of the measured phase."""
        return self.end - self.begin

    def rate(self, begin: float | None = None, end: float | None = None) -> float:
        """Return the requests per second that ended between begin and end (all by default)."""
        begin = self.begin if begin is None else begin
        end = self.end if end is None else end
        ended = sum(1 for finished, _s, _status in self.requests if begin <= finished < end)
        return ended / max(end - begin, 1e-9)

    def latencies(self) -> list[float]:
        """Return every request's latency in seconds."""
        return [seconds for _f, seconds, _status in self.requests]

    def failures(self) -> int:
        """Return the number of requests that were not answered with 200."""
        return sum(1 for _f, _s, status in self.requests if status != 200)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Load:
        """Read a load client's output."""
        requests = [(float(f), float(s), int(status)) for f, s, status in data["requests"]]
        return cls(float(data["begin"]), float(data["end"]), requests, dict(data["errors"]))


def _connection(host: str, port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(host, port, timeout=TIMEOUT)


def _worker(
    number: int, host: str, port: int, paths: Sequence[str], begin: float, end: float
) -> tuple[list[tuple[float, float, int]], dict[str, int]]:
    """Request the paths in turn until ``end``; keep the requests that ended after ``begin``."""
    requests: list[tuple[float, float, int]] = []
    errors: dict[str, int] = {}
    connection = _connection(host, port)
    turn = number
    while True:
        started = time.monotonic()
        if started >= end:
            break
        path = paths[turn % len(paths)]
        turn += 1
        try:
            # HTTP/1.1 keeps the connection open; a server that closes it (gunicorn's sync
            # workers do) makes http.client reconnect on the next request.
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            connection.close()
            connection = _connection(host, port)
            status = 0
        finished = time.monotonic()
        if begin <= finished < end:
            requests.append((finished, finished - started, status))
    connection.close()
    return requests, errors


def _run_worker(
    arguments: tuple[Any, ...],
) -> tuple[list[tuple[float, float, int]], dict[str, int]]:
    number, host, port, paths, start_at, begin, end = arguments
    time.sleep(max(0.0, start_at - time.monotonic()))
    return _worker(number, host, port, paths, begin, end)


def run(
    host: str,
    port: int,
    paths: Sequence[str],
    concurrency: int,
    start_at: float,
    warmup: float,
    duration: float,
) -> Load:
    """Load the server from ``start_at``: ``warmup`` seconds unkept, then ``duration`` measured."""
    begin = start_at + warmup
    end = begin + duration
    work = [(n, host, port, list(paths), start_at, begin, end) for n in range(concurrency)]
    load = Load(begin, end)
    with multiprocessing.get_context("fork").Pool(concurrency) as pool:
        for requests, errors in pool.map(_run_worker, work):
            load.requests += requests
            for kind, count in errors.items():
                load.errors[kind] = load.errors.get(kind, 0) + count
    load.requests.sort()
    return load


def main(argv: Sequence[str] | None = None) -> None:
    """Run the load client from the command line and print its result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--start-at", type=float, help="monotonic time to start (default: now)")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    start_at = time.monotonic() if args.start_at is None else args.start_at
    load = run(
        args.host, args.port, args.paths, args.concurrency, start_at, args.warmup, args.duration
    )
    json.dump(
        {"begin": load.begin, "end": load.end, "requests": load.requests, "errors": load.errors},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
