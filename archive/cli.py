"""The ``archive`` command: Flask's commands (run, routes, shell) and the archive's own."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from archive import bench, export, importer, migrate, records
from archive.db import get_db
from archive.search import get_index
from archive.store import Tally, dataset_version
from archive.tables import TABLES

DEMO = Path(__file__).resolve().parent / "demo" / "seed.json"
PROGRESS_THRESHOLD = 2000


def main() -> None:
    """Run the ``archive`` command group."""
    from archive import create_app

    group = FlaskGroup(create_app=lambda: create_app(), help="The dissent archive.")
    group(prog_name="archive")


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Upgrade the database schema to the newest migration."""
    migrate.upgrade(get_db())
    click.echo(f"database at migration {migrate.head_revision()}")


def _actor(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    """Clean the name the revisions give as their author, as a record's name is cleaned."""
    try:
        cleaned = records.name(value)
    except records.Invalid as error:
        raise click.BadParameter(str(error)) from None
    if cleaned is None:
        raise click.BadParameter("must not be empty")
    return cleaned


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--actor", default="import", show_default=True, callback=_actor, help="Who the revisions name."
)
@with_appcontext
def import_command(files: tuple[Path, ...], actor: str) -> None:
    """Import JSON documents and CSV tables (or folders of them), all or nothing."""
    _import(list(files), actor)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo data (the seed article); loading it again changes nothing."""
    _import([DEMO], "demo")


@click.command("reindex")
@click.option("--catch-up", is_flag=True, help="Only apply the changes the index lacks.")
@with_appcontext
def reindex_command(catch_up: bool) -> None:
    """Rebuild the search index from the database (beside the live one, then switch)."""
    _require_schema()
    index = get_index()
    started = time.perf_counter()
    version = index.catch_up() if catch_up else index.rebuild()
    action = "caught up" if catch_up else "rebuilt"
    click.echo(
        f"index {action} to dataset version {version} in {time.perf_counter() - started:.1f} s"
    )


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Report every difference between the database and the search index."""
    _require_schema()
    differences = get_index().differences()
    for difference in differences:
        click.echo(f"difference: {difference}", err=True)
    if differences:
        click.echo(f"{len(differences)} difference(s); run `archive reindex`", err=True)
        sys.exit(1)
    click.echo("the index matches the database")


@click.command("export")
@click.option(
    "--out",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the tables and datapackage.json into.",
)
@click.option("--spreadsheet", is_flag=True, help="Write the variant for spreadsheets.")
@with_appcontext
def export_command(folder: Path, spreadsheet: bool) -> None:
    """Write the whole archive as CSV tables with a Frictionless datapackage.json."""
    _require_schema()
    folder.mkdir(parents=True, exist_ok=True)
    with get_db().snapshot() as session:
        version = dataset_version(session)
        for table in TABLES:
            path = folder / f"{table.name}.csv"
            with path.open("w", encoding="utf-8", newline="") as out:
                for chunk in export.table_csv(session, table.name, spreadsheet):
                    out.write(chunk)
            click.echo(f"{path.name:<26} {path.stat().st_size:>12,} bytes", err=True)
        package = export.datapackage(version, datetime.now(UTC), spreadsheet)
        (folder / "datapackage.json").write_text(
            json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    click.echo(f"exported dataset version {version} to {folder}")


@click.command("corpus")
@click.option("--size", type=click.Choice(["S", "M", "L"]), required=True, help="Corpus size.")
@click.option("--seed", default=1, show_default=True, help="Seed; the same seed, the same bytes.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def corpus_command(size: str, seed: int, out: Path) -> None:
    """Write a deterministic synthetic (fake) corpus as JSON import documents (one per 20,000
    statements)."""
    from archive import corpus

    started = time.perf_counter()
    counts, files = corpus.write(out, size, seed)
    for kind, number in counts.as_dict().items():
        click.echo(f"{kind + ':':<14} {number:>10,}")
    elapsed = time.perf_counter() - started
    for path in files:
        click.echo(f"wrote {path} ({path.stat().st_size:,} bytes)")
    click.echo(f"in {elapsed:.1f} s; import the files together, in one command")


def _import(paths: list[Path], actor: str) -> None:
    _require_schema()
    with _progress() as progress:
        try:
            result = importer.run(get_db(), paths, actor=actor, progress=progress)
        except importer.ImportRejected as rejected:
            for problem in rejected.problems:
                click.echo(f"error: {problem}", err=True)
            click.echo(
                f"import rejected: {len(rejected.problems)} problem(s); nothing was written",
                err=True,
            )
            sys.exit(1)
    click.echo(_summary(result.tally))
    click.echo(f"dataset version {result.version_before} -> {result.version_after}")


def _summary(tally: Tally) -> str:
    lines = []
    for kind, counts in sorted(tally.counts.items()):
        parts = [f"{counts.get(o, 0)} {o}" for o in ("created", "updated", "unchanged", "deleted")]
        lines.append(f"{kind + ':':<11} {', '.join(parts)}")
    return "\n".join(lines) or "nothing to import"


class _progress:
    """A progress bar shown only for imports of more than a few thousand records."""

    def __enter__(self) -> Callable[[int, int], None]:
        self.bar: Any = None
        self.shown = 0
        return self.update

    def update(self, done: int, total: int) -> None:
        if total < PROGRESS_THRESHOLD:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="importing", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _require_schema() -> None:
    database = get_db()
    if migrate.current_revision(database) != migrate.head_revision():
        raise click.ClickException(
            "the database is not at the newest migration: run `archive migrate` first"
        )


def init_app(app: Flask) -> None:
    """Register the archive's commands on the app."""
    commands = (
        migrate_command,
        import_command,
        demo_command,
        reindex_command,
        check_command,
        export_command,
        corpus_command,
        bench.bench_command,
    )
    for command in commands:
        app.cli.add_command(command)
