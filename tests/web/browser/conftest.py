"""Fixtures: a live `archive run` server on the demo data and an XSS record, and a browser."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, Playwright, Request, sync_playwright
from playwright.sync_api import Response as PlaywrightResponse

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_SECONDS = 30.0
COMMAND_SECONDS = 120.0

# The two payloads: a script element, and a break out of an attribute into an element.
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{SCRIPT} {IMG}"


def xss(label: str) -> str:
    """Return a one-line text holding both payloads, the script first (so it sorts first)."""
    return f"{SCRIPT} {label} {IMG}"


# One record of every kind whose every text field holds the payloads.
XSS_DOCUMENT = {
    "format": "dissent-archive/1",
    "districts": [
        {
            "key": "xss",
            "name": xss("district name"),
            "kind": "other",
            "names": {"ru": xss("district name ru")},
            "aliases": [xss("district alias")],
        }
    ],
    "people": [
        {
            "key": "xss-person",
            "name": xss("person name"),
            "names": {"ru": xss("person name ru")},
            "aliases": [xss("person alias")],
            "description": xss("person description"),
        }
    ],
    "sources": [
        {
            "key": "xss-source",
            "kind": "other",
            # URLs cannot hold spaces: a quote and a tab break out of an attribute instead.
            "url": 'https://example.org/"><script>alert(1)</script>',
            "archive_url": "https://archive.example.org/'><img\tsrc=x\tonerror=alert(1)>",
            "publisher": xss("publisher"),
            "author": xss("author"),
            "title": xss("source title"),
            "published": "2024-01-01",
            "capture": {"text": f"{xss('capture text')}\n"},
        }
    ],
    "statements": [
        {
            "key": "xss-statement",
            "title": xss("statement title"),
            "kind": "other",
            "date": "2024-01-01",
            "language": "ru",
            "text": f"{xss('original text')}\n\n{xss('original text, second paragraph')}",
            "translations": [
                {
                    "language": "en",
                    "text": f"{xss('translation text')}\n\n{xss('translation, second paragraph')}",
                    "translator": xss("translator"),
                    "source": "xss-source",
                }
            ],
            "demands": ["other"],
            "addressee": xss("addressee"),
            "reported_signatories": 2,
            "summary": xss("summary"),
            "districts": ["xss"],
            "sources": ["xss-source"],
            "signatures": [
                {
                    "person": "xss-person",
                    "role": xss("role"),
                    "district": "xss",
                    "stance": "signed",
                    "note": xss("note"),
                    "sources": ["xss-source"],
                }
            ],
        }
    ],
    "events": [
        {
            "key": "xss-event",
            "kind": "other",
            "date": "2024-01-02",
            "statement": "xss-statement",
            "people": ["xss-person"],
            "description": xss("event description"),
            "sources": ["xss-source"],
        }
    ],
}


@dataclass
class Server:
    """The running archive: its base URL and the host:port every request must go to."""

    url: str
    netloc: str
    instance: Path


@dataclass
class Recorded:
    """What the browser did in one test: every request URL, dialog and failed response."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # responses of status 400 or more


def archive_command() -> Path:
    """Return the installed `archive` command next to the running Python."""
    command = Path(sys.executable).parent / "archive"
    assert command.exists(), f"{command} is missing: install the project (pip install -e '.[test]')"
    return command


def archive_env(instance: Path, database_url: str = "") -> dict[str, str]:
    """Return the environment for an `archive` subprocess on the instance folder (and on
    ``database_url``, or else the instance's SQLite file)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FLASK_")}
    for name in ("ARCHIVE_DATABASE_URL", "ARCHIVE_INDEX_DIR"):
        env.pop(name, None)
    if database_url:
        env["ARCHIVE_DATABASE_URL"] = database_url
    env["ARCHIVE_INSTANCE_DIR"] = str(instance)
    env["ARCHIVE_SECRET_KEY"] = "browser-tests"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_archive(instance: Path, *args: str, database_url: str = "") -> None:
    """Run one `archive` command on the instance folder, failing with its output."""
    result = subprocess.run(
        [str(archive_command()), *args],
        env=archive_env(instance, database_url),
        cwd=instance,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (
        f"archive {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
    )


def free_port() -> int:
    """Return a TCP port on the loopback interface that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_answering(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the server answers a request, failing if it exits or takes too long."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"archive run exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered, even if with an error page
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"archive run did not answer within {SERVER_START_SECONDS} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server process, killing it if it does not end."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, session_database: str) -> Iterator[Server]:
    """Serve the demo data and the XSS records with `archive run` on a free loopback port
    (on the instance's SQLite file, or on a PostgreSQL database when the tests run there)."""
    instance = tmp_path_factory.mktemp("browser-instance")
    document = instance / "xss.json"
    document.write_text(json.dumps(XSS_DOCUMENT, ensure_ascii=False, indent=1), encoding="utf-8")
    run_archive(instance, "migrate", database_url=session_database)
    run_archive(instance, "demo", database_url=session_database)
    run_archive(instance, "import", str(document), database_url=session_database)
    port = free_port()
    netloc = f"127.0.0.1:{port}"
    log = instance / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(archive_command()), "run", "--host", "127.0.0.1", "--port", str(port)],
            env=archive_env(instance, session_database),
            cwd=instance,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_answering(f"http://{netloc}/", process, log)
        yield Server(url=f"http://{netloc}", netloc=netloc, instance=instance)
    finally:
        stop(process)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Start Playwright once per run."""
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Launch Debian's Chromium once per run (the tests fail if it is not installed)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def recorded() -> Recorded:
    """Return the record of the requests and dialogs of the test's page."""
    return Recorded()


@pytest.fixture
def page(browser: Browser, recorded: Recorded) -> Iterator[Page]:
    """Open a page in a fresh browser context that records requests and dismisses dialogs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)

    def on_request(request: Request) -> None:
        recorded.requests.append(request.url)

    def on_response(response: PlaywrightResponse) -> None:
        if response.status >= 400:
            recorded.failures.append(f"{response.status} {response.url}")

    def on_dialog(dialog: Dialog) -> None:
        recorded.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    context.on("request", on_request)
    context.on("response", on_response)
    context.on("dialog", on_dialog)  # on every page of the context, popups included
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
