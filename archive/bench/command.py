"""``archive bench``: the archive measured against anchors run in the same run on the same data.

Everything is built fresh in a working folder, apart from the app's configured database: the
synthetic corpus (:mod:`archive.bench.corpus`), a migrated SQLite database it is imported into, the
search index, an FTS5 table and the exports. The measures are in :mod:`archive.bench.storage`
(import, index, export), :mod:`archive.bench.searches` (searches) and :mod:`archive.bench.pages`
(pages under gunicorn, abuse); the table and its header in :mod:`archive.bench.report`. The
figures are meant as ratios: absolute numbers depend on the machine and on what else it does.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import click
from flask import Flask

from archive.bench import corpus, pages, people, report, searches, storage
from archive.bench.report import Row
from archive.index.generations import SearchIndex

MARKER = ".archive-bench"  # marks a working folder the benchmark may empty
STATEMENT_PAGES = 5  # statement URLs the page measures cycle through


def constant_app() -> Flask:
    """Return a Flask app that answers every path with the same short string (an anchor)."""
    app = Flask("constant")

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def constant(path: str) -> str:
        return "constant"

    return app


@contextmanager
def working_folder(given: Path | None) -> Iterator[Path]:
    """Yield an empty working folder: a temporary one, or ``given`` emptied if it is ours."""
    if given is None:
        with tempfile.TemporaryDirectory(prefix="archive-bench-") as temporary:
            yield Path(temporary)
        return
    given.mkdir(parents=True, exist_ok=True)
    if any(given.iterdir()) and not (given / MARKER).exists():
        raise click.ClickException(f"{given} is not empty and not a benchmark's working folder")
    for entry in given.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (given / MARKER).write_text("archive bench\n", encoding="utf-8")
    yield given


def statement_paths(database_file: Path) -> list[str]:
    """Return the URLs of a few statements spread over the key order (small and large ones)."""
    with closing(sqlite3.connect(database_file)) as connection:
        keys = [key for (key,) in connection.execute("SELECT key FROM statements ORDER BY key")]
    chosen = dict.fromkeys(keys[n * len(keys) // STATEMENT_PAGES] for n in range(STATEMENT_PAGES))
    return [f"/statements/{key}" for key in chosen]


def _say(row: Row) -> None:
    cells = row.cells()
    click.echo(f"bench: {cells[0]}: {cells[1]} (anchor {cells[2]}, ratio {cells[3]})", err=True)


def measure(
    folder: Path, size: str, seed: int, statements: int | None, workers: int, duration: float
) -> tuple[list[Row], dict[str, int]]:
    """Build the corpus, database and index in ``folder`` and take every measure."""
    corpus_file, database_file = folder / "corpus.json", folder / "archive.sqlite3"
    started = time.perf_counter()
    counts, corpus_files = corpus.write(corpus_file, size, seed, statements)
    click.echo(f"bench: corpus written in {time.perf_counter() - started:.1f} s", err=True)
    database = storage.migrated(database_file)
    index = SearchIndex(folder / "index", database)
    rows: list[Row] = []
    try:
        rows.append(storage.measure_import(corpus_files, database, folder / "anchor.sqlite3"))
        rows.append(storage.measure_index(index, folder / "fts.sqlite3"))
        queries, words = searches.pick_queries(database_file)
        timings = searches.time_searches(index, folder / "fts.sqlite3", queries)
        rows += searches.search_rows(timings)
        index.close()
        rows += storage.measure_export(database, folder / "export")
        rows.append(people.measure_candidates(database))
        for row in rows:
            _say(row)
        measured = pages.Pages(
            home=["/"],
            search=[pages.search_path(query.text, query.filters) for query in queries],
            statement=statement_paths(database_file),
            abuse=pages.abusive_queries(words),
        )
        env = {
            "ARCHIVE_DATABASE_URL": storage.sqlite_url(database_file),
            "ARCHIVE_INDEX_DIR": str(folder / "index"),
            "ARCHIVE_SECRET_KEY": "benchmark",
            "ARCHIVE_INSTANCE_DIR": str(folder),
        }
        web = pages.measure_pages(env, folder, workers, duration, measured)
        for row in web:
            _say(row)
        rows += web
    finally:
        index.close()
        database.dispose()
    return rows, counts.as_dict()


@click.command("bench")
@click.option("--size", type=click.Choice(sorted(corpus.SIZES)), required=True, help="Corpus size.")
@click.option("--seed", default=1, show_default=True, help="Seed of the corpus.")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to build everything in (emptied first); a temporary one by default.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Markdown file for the table."
)
@click.option("--workers", default=4, show_default=True, help="gunicorn workers.")
@click.option("--duration", default=10.0, show_default=True, help="Seconds per page measure.")
@click.option("--statements", type=int, help="Override the size's number of statements.")
def bench_command(
    size: str,
    seed: int,
    workdir: Path | None,
    out: Path | None,
    workers: int,
    duration: float,
    statements: int | None,
) -> None:
    """Measure the archive against anchors run on the same data; print one table."""
    started = time.perf_counter()
    with working_folder(workdir) as folder:
        try:
            rows, counts = measure(folder, size, seed, statements, workers, duration)
        except RuntimeError as error:  # a server or child process failed; it says why
            raise click.ClickException(str(error)) from error
    settings = {"size": size, "seed": str(seed), "gunicorn workers": str(workers)}
    settings["page measures"] = f"{duration:g} s with {pages.CONCURRENCY} connections"
    if statements is not None:
        settings["statements"] = f"{statements} (size overridden)"
    document = report.document(settings, counts, rows, time.perf_counter() - started)
    click.echo(document)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(document, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@click.command("corpus")
@click.option("--size", type=click.Choice(["S", "M", "L"]), required=True, help="Corpus size.")
@click.option("--seed", default=1, show_default=True, help="Seed; the same seed, the same bytes.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def corpus_command(size: str, seed: int, out: Path) -> None:
    """Write a deterministic synthetic (fake) corpus as JSON import documents (one per 20,000
    statements)."""
    started = time.perf_counter()
    counts, files = corpus.write(out, size, seed)
    for kind, number in counts.as_dict().items():
        click.echo(f"{kind + ':':<14} {number:>10,}")
    elapsed = time.perf_counter() - started
    for path in files:
        click.echo(f"wrote {path} ({path.stat().st_size:,} bytes)")
    click.echo(f"in {elapsed:.1f} s; import the files together, in one command")
