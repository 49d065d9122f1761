"""The ``archive`` command: Flask's commands (run, routes, shell) and the archive's own."""

from __future__ import annotations

import functools
import importlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive.data import backup, migrations, verification
from archive.data.database import WriteBusy
from archive.data.revisions import Tally, chain_head, dataset_version
from archive.export import dialects
from archive.export.package import datapackage
from archive.identity import curation
from archive.identity.review import review
from archive.importing import fields, importer
from archive.importing.people import MATCH_RULES, Matching
from archive.importing.tables import TABLES
from archive.index.generations import IndexUnavailable, SearchIndex
from archive.web.context import get_db, get_index

PROGRESS_THRESHOLD = 2000
# Commands of the benchmark package, which the app never imports, and of backups: each is named
# here with its summary (for ``archive --help``) and loaded only when it runs or shows its help.
LAZY_COMMANDS = {
    "bench": (
        "archive.bench.command:bench_command",
        "Measure the archive against anchors run on the same data.",
    ),
    "corpus": (
        "archive.bench.command:corpus_command",
        "Write a deterministic synthetic (fake) corpus as JSON import documents.",
    ),
    "backup": (
        "archive.backup_commands:backup_command",
        "Write every table, the whole history included, from one snapshot to a zip file.",
    ),
    "restore": (
        "archive.backup_commands:restore_command",
        "Restore a backup into an empty database, then bring search up to date.",
    ),
}


class LazyCommand(click.Command):
    """A command known by name and summary, imported from ``module:attribute`` only when it
    runs or shows its help (``archive --help`` lists it without importing it)."""

    def __init__(self, name: str, target: str, summary: str) -> None:
        super().__init__(name, help=summary, short_help=summary)
        self.target = target

    def load(self) -> click.Command:
        """Import and return the real command."""
        module, attribute = self.target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parse the arguments with the real command, whose context then runs it."""
        return self.load().make_context(info_name, args, parent=parent, **extra)


def main() -> None:
    """Run the ``archive`` command group."""
    from archive import create_app

    group = FlaskGroup(create_app=lambda: create_app(), help="The dissent archive.")
    group(prog_name="archive")


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Upgrade the database schema to the newest migration."""
    migrations.upgrade(get_db())
    click.echo(f"database at migration {migrations.head_revision()}")


def _actor(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    """Clean the name the revisions give as their author, as a record's name is cleaned."""
    try:
        cleaned = fields.name(value)
    except fields.Invalid as error:
        raise click.BadParameter(str(error)) from None
    if cleaned is None:
        raise click.BadParameter("must not be empty")
    return cleaned


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--actor", default="import", show_default=True, callback=_actor, help="Who the revisions name."
)
@click.option(
    "--match-people",
    type=click.Choice(MATCH_RULES),
    help="Also take a person given inline without a key to be the stored person with the "
    "same script-neutral name (words in any order) who signed in the same district.",
)
@with_appcontext
def import_command(files: tuple[Path, ...], actor: str, match_people: str | None) -> None:
    """Import JSON documents and CSV tables (or folders of them), all or nothing."""
    _import(list(files), actor, match_people)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo data (the seed article); loading it again changes nothing."""
    _import([importer.DEMO], "demo")


@click.command("reindex")
@click.option("--catch-up", is_flag=True, help="Only apply the changes the index lacks.")
@with_appcontext
def reindex_command(catch_up: bool) -> None:
    """Rebuild the search index from the database (beside the live one, then switch)."""
    _require_schema()
    index = get_index()
    started = time.perf_counter()
    try:
        version = index.catch_up() if catch_up else index.rebuild()
    except IndexUnavailable:
        raise click.ClickException(
            f"there is no search index in {index.folder} to catch up: run `archive reindex`"
        ) from None
    except OSError as error:
        raise click.ClickException(f"the search index cannot be written: {error}") from None
    action = "caught up" if catch_up else "rebuilt"
    click.echo(
        f"index {action} to dataset version {version} in {time.perf_counter() - started:.1f} s"
    )


@click.command("check")
@click.option(
    "--repair",
    is_flag=True,
    help="Then bring the index up to date: catch it up, or rebuild it if that is not enough.",
)
@with_appcontext
def check_command(repair: bool) -> None:
    """Report every difference between the database and the search index, as they are (a
    lagging index included); exit 1 if there is one, unless --repair then removed them all."""
    _require_schema()
    index = get_index()
    differences = _index_differences(index)
    for difference in differences:
        click.echo(f"difference: {difference}", err=True)
    if differences and repair:
        started = time.perf_counter()
        outcome = index.ensure_current()
        if _index_differences(index):
            index.rebuild()
            outcome = "rebuilt"
        click.echo(f"index {outcome} in {time.perf_counter() - started:.1f} s", err=True)
        differences = _index_differences(index)
        for difference in differences:
            click.echo(f"difference after repair: {difference}", err=True)
    if differences:
        hint = "" if repair else "; run `archive check --repair`"
        click.echo(f"{len(differences)} difference(s){hint}", err=True)
        sys.exit(1)
    click.echo("the index matches the database")


def _index_differences(index: SearchIndex) -> list[str]:
    """Return the differences between database and index, or the one sentence saying there
    is no index or that it cannot be read."""
    try:
        return index.differences()
    except IndexUnavailable as error:
        return [f"the search index in {index.folder} cannot be used: {error}"]


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
                for chunk in dialects.table_csv(session, table.name, spreadsheet):
                    out.write(chunk)
            click.echo(f"{path.name:<26} {path.stat().st_size:>12,} bytes", err=True)
        package = datapackage(version, chain_head(session), datetime.now(UTC), spreadsheet)
        (folder / "datapackage.json").write_text(
            json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    click.echo(f"exported dataset version {version} to {folder}")


def _import(paths: list[Path], actor: str, match_people: str | None = None) -> None:
    _ready_to_write()
    with _one_writer(), _progress() as progress:
        try:
            result = importer.run(
                get_db(), paths, actor=actor, progress=progress, match_people=match_people
            )
        except importer.ImportRejected as rejected:
            for problem in rejected.problems:
                click.echo(f"error: {problem}", err=True)
            click.echo(
                f"import rejected: {len(rejected.problems)} problem(s); nothing was written",
                err=True,
            )
            sys.exit(1)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(_summary(result.tally))
    if result.people.new or result.people.matched:
        click.echo(_people_summary(result.people))
    click.echo(f"dataset version {result.version_before} -> {result.version_after}")
    _require_search_current(result.version_after)


def _summary(tally: Tally) -> str:
    lines = []
    for kind, counts in sorted(tally.counts.items()):
        parts = [f"{counts.get(o, 0)} {o}" for o in ("created", "updated", "unchanged", "deleted")]
        lines.append(f"{kind + ':':<11} {', '.join(parts)}")
    return "\n".join(lines) or "nothing to import"


def _people_summary(matching: Matching) -> str:
    """Say who the people given inline turned out to be: matched by which rule, new, and new
    namesakes of people already there (to review among the candidates)."""
    matched = ", ".join(f"{n} by {rule}" for rule, n in sorted(matching.matched.items()))
    lines = [f"{'inline:':<11} {len(matching.new)} new, matched {matched or 'none'}"]
    if matching.namesakes:
        shown = ", ".join(matching.namesakes[:5]) + (", ..." if len(matching.namesakes) > 5 else "")
        lines.append(
            f"{len(matching.namesakes)} new people share a name with another person ({shown}): "
            "review them with `archive people candidates`"
        )
    return "\n".join(lines)


class _progress:
    """A progress bar shown only for imports of PROGRESS_THRESHOLD records or more."""

    def __enter__(self) -> Callable[[int, int], None]:
        self.bar: Any = None
        self.shown = 0
        return self.update

    def update(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` records written (nothing for a small import)."""
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


@click.group("people")
def people_group() -> None:
    """Review who people are: candidates, merge, split, not the same person."""


def _cleaned(clean: Callable[[Any], Any]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """Return an option callback that cleans its value as a record's field is cleaned."""

    def callback(_context: click.Context, _parameter: click.Parameter, value: Any) -> Any:
        try:
            return clean(value)
        except fields.Invalid as error:
            raise click.BadParameter(str(error)) from None

    return callback


def _curating(command: Callable[..., None]) -> Callable[..., None]:
    """Give a curation command its --reason and --actor options and the app context."""
    command = click.option(
        "--actor", default="curator", show_default=True, callback=_actor, help="Who decides."
    )(command)
    command = click.option(
        "--reason",
        callback=_cleaned(fields.text),
        help="Why, shown with the decision on the person's page.",
    )(command)
    return with_appcontext(command)


def _curate(write: Callable[[Session], curation.Done], said: str) -> None:
    """Run one curation in a write transaction; a refusal is an error that writes nothing."""
    _ready_to_write()
    try:
        with _one_writer(), get_db().writing() as session:
            done = write(session)
            version = dataset_version(session)
    except curation.Refused as refused:
        raise click.ClickException(f"{refused}; nothing was written") from None
    click.echo(f"{said}: {done.revisions} revision(s), dataset version {version}")
    _require_search_current(version)


@people_group.command("candidates")
@click.option("--json", "as_json", is_flag=True, help="Write the list as JSON.")
@click.option(
    "--limit", type=click.IntRange(min=1), help="Show only the best N pairs (default: all)."
)
@with_appcontext
def candidates_command(as_json: bool, limit: int | None) -> None:
    """List pairs of people who may be one person, best first, with a score and reasons."""
    _require_schema()
    with get_db().session() as session:
        found = review(session)
        version = dataset_version(session)
    shown = found.candidates[:limit]
    if as_json:
        pairs = [found.pair(candidate) for candidate in shown]
        document = {"dataset_version": version, "total": len(found.candidates), "pairs": pairs}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    for c in shown:
        first, second = (f"{key} ({found.names[key]})" for key in (c.left, c.right))
        click.echo(f"{c.score:.2f}  {first}  ~  {second}\n      {'; '.join(c.reasons)}")
    click.echo(
        f"{len(found.candidates)} pair(s) may be one person (dataset version {version}); "
        "decide with `archive people merge` or `archive people distinct`"
    )


@people_group.command("merge")
@click.argument("keep")
@click.argument("others", nargs=-1, required=True)
@_curating
def merge_command(keep: str, others: tuple[str, ...], reason: str | None, actor: str) -> None:
    """Merge the people OTHERS into KEEP: their signatures, events, names and identifiers
    move to KEEP, and their keys redirect to KEEP for good."""
    _curate(
        lambda session: curation.merge(session, keep, others, actor, reason),
        f"merged {', '.join(others)} into {keep}",
    )


@people_group.command("split")
@click.argument("key")
@click.option(
    "--signatures",
    "statements",
    multiple=True,
    required=True,
    metavar="STATEMENT",
    help="A statement whose signature moves to the new person (repeat for more).",
)
@click.option(
    "--key",
    "new_key",
    callback=_cleaned(fields.key),
    help="The new person's key (default: KEY-2, or the next free).",
)
@click.option(
    "--name", callback=_cleaned(fields.name), help="The new person's name (default: KEY's)."
)
@_curating
def split_command(
    key: str,
    statements: tuple[str, ...],
    new_key: str | None,
    name: str | None,
    reason: str | None,
    actor: str,
) -> None:
    """Move the signatures of KEY on the statements named to a new person."""
    _curate(
        lambda session: curation.split(session, key, statements, new_key, name, actor, reason),
        f"split {len(statements)} signature(s) from {key}",
    )


@people_group.command("distinct")
@click.argument("first")
@click.argument("second")
@_curating
def distinct_command(first: str, second: str, reason: str | None, actor: str) -> None:
    """Decide that FIRST and SECOND are not the same person: never proposed again."""
    _curate(
        lambda session: curation.distinct(session, first, second, actor, reason),
        f"{first} and {second} are not the same person",
    )


@contextmanager
def _one_writer() -> Iterator[None]:
    """Let the writes inside wait for another writer up to the WRITE_WAIT setting, saying once
    that they wait; when the wait runs out, exit 1 with one line (nothing was written)."""
    lock = get_db().write_lock
    lock.wait = current_app.config["WRITE_WAIT"]
    lock.on_wait = _say_waiting
    try:
        yield
    except WriteBusy as busy:
        click.echo(f"error: {busy}; nothing was written", err=True)
        sys.exit(1)


def _say_waiting(seconds: float) -> None:
    """Say on stderr that a write waits for another writer, and for how long at most."""
    click.echo(
        f"waiting for another import or edit to finish writing (up to {seconds:g} s)...", err=True
    )


@click.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Write the report as JSON.")
@click.option(
    "--backup",
    "backups",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also check a backup file against its manifest (every member's size, rows and "
    "SHA-256); may be given more than once.",
)
@with_appcontext
def verify_command(as_json: bool, backups: tuple[Path, ...]) -> None:
    """Recompute every capture's SHA-256 and walk the revision log's chain of digests (and
    check the backups given against their manifests); record the run, name each failure and
    exit 1 on any."""
    _require_schema()
    # Each further check returns its failures as one-line sentences (a backup's manifest).
    further: list[Callable[[], Iterable[str]]] = [
        functools.partial(_backup_failures, path) for path in backups
    ]
    try:
        found = verification.verify(get_db(), further)
    except SQLAlchemyError as error:
        reason = _reason(error)
        raise click.ClickException(f"the check could not read the database: {reason}") from None
    try:
        verification.record(get_db(), found)
    except SQLAlchemyError as error:  # what it found is still said, and it fails
        found.failures.append(f"the run could not be recorded: {_reason(error)}")
    if as_json:
        click.echo(json.dumps(_verification_json(found), ensure_ascii=False, indent=2))
    else:
        for failure in found.failures:
            click.echo(f"failed: {failure}", err=True)
        click.echo(_verification_summary(found), err=not found.ok)
    if not found.ok:
        sys.exit(1)


def _backup_failures(path: Path) -> list[str]:
    """Return what is wrong with a backup file, each sentence naming the file."""
    return [f"backup {path}: {problem}" for problem in backup.check_backup(path)]


def _reason(error: SQLAlchemyError) -> str:
    """Return the first line of what the database said (no SQL, no traceback)."""
    return str(getattr(error, "orig", None) or error).splitlines()[0]


def _verification_summary(found: verification.Verification) -> str:
    """Say in one line what a fixity check checked, up to where, and how it ended."""
    redacted = f" ({found.redacted} redacted)" if found.redacted else ""
    reached = (
        f" up to dataset version {found.head_revision}, chain head {found.chain_head}"
        if found.head_revision is not None
        else ""
    )
    outcome = "all match" if found.ok else f"{len(found.failures)} failure(s)"
    name = f"fixity check {found.check_id}" if found.check_id else "fixity check (not recorded)"
    return (
        f"{name}: {found.captures} capture(s) and {found.revisions} "
        f"revision(s){redacted} checked{reached}: {outcome}"
    )


def _verification_json(found: verification.Verification) -> dict[str, Any]:
    """Return a fixity check as plain JSON values."""
    return {
        "check": found.check_id,
        "started": found.started.isoformat(timespec="seconds") + "Z",
        "finished": found.finished.isoformat(timespec="seconds") + "Z" if found.finished else None,
        "captures": found.captures,
        "revisions": found.revisions,
        "redacted": found.redacted,
        "dataset_version": found.head_revision or 0,
        "chain_head": found.chain_head,
        "ok": found.ok,
        "failures": found.failures,
    }


def _require_search_current(version: int) -> None:
    """Exit 1 with one line when a write committed but the search index could not take it
    in: the data is saved, and search does not show it until the index catches up."""
    indexed = get_index().reflects()
    if indexed < version:
        click.echo(
            f"error: the data is saved (dataset version {version}), but the search index could "
            f"not take it in (it shows version {indexed}): run `archive reindex --catch-up`, "
            "or `archive reindex` if that fails",
            err=True,
        )
        sys.exit(1)


def _ready_to_write() -> None:
    """Check that the schema is current, then bring the search index up to date (building it
    if there is none), so that after the write it has only the write's own changes to take
    in. An index that cannot be brought up to date does not stop the write: the command says
    so after it (:func:`_require_search_current`)."""
    _require_schema()
    try:
        get_index().prepare()
    except Exception as error:  # the data can still be written; the index is said after
        click.echo(f"warning: the search index cannot be brought up to date: {error!r}", err=True)


def _require_schema() -> None:
    database = get_db()
    if migrations.current_revision(database) != migrations.head_revision():
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
        people_group,
        verify_command,
    )
    for command in commands:
        app.cli.add_command(command)
    for name, (target, summary) in LAZY_COMMANDS.items():
        app.cli.add_command(LazyCommand(name, target, summary))
