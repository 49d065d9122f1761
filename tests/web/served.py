"""The archive served by a real gunicorn with the shipped settings (gunicorn.conf.py), for the
tests that send it requests from outside: its port, its log, and stopping it."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from archive.bench.pages import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START_SECONDS = 60


def environment(database_url: str, index_dir: str | Path) -> dict[str, str]:
    """Return the environment of gunicorn and `archive` on one database and index folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "ARCHIVE_"))}
    return env | {
        "ARCHIVE_DATABASE_URL": database_url,
        "ARCHIVE_INDEX_DIR": str(index_dir),
        "ARCHIVE_SECRET_KEY": "served-test",
        "PYTHONUNBUFFERED": "1",
    }


def get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    """Request a path on its own connection; return the status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Gunicorn:
    """A gunicorn master started with gunicorn.conf.py on a free port, its log in a file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @classmethod
    def start(cls, env: dict[str, str], log: Path, workers: int = 2) -> Gunicorn:
        """Start gunicorn with ``workers`` workers; return it once it answers the home page.

        Raises AssertionError (with the log) if it exits or does not answer in time.
        """
        port = free_port()
        command = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
        command += [f"--bind=127.0.0.1:{port}", f"--workers={workers}", "app:app"]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        server = cls(process, port, log)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {process.returncode}:\n{server.text()}")
            try:
                get(port, "/")
                return server
            except OSError:
                time.sleep(0.1)
        server.stop()
        raise AssertionError(f"gunicorn did not answer in {START_SECONDS} s:\n{server.text()}")

    def stop(self) -> None:
        """Stop gunicorn (a quick shutdown), killing it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def text(self) -> str:
        """Return gunicorn's log so far: its messages and the access log, interleaved."""
        return self.log.read_text(encoding="utf-8", errors="replace")
