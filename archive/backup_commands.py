"""The ``archive backup`` and ``archive restore`` commands (archive.data.backup does the work),
loaded by the command group only when they run."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from archive.cli import _require_schema, _require_search_current
from archive.data.backup import BackupRefused, restore_backup, write_backup
from archive.data.revisions import dataset_version
from archive.web.context import get_db, get_index


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write every table, revisions and changesets included, from one snapshot to the zip
    FILE with a manifest; the web keeps serving meanwhile."""
    _require_schema()
    started = time.perf_counter()
    try:
        written = write_backup(get_db(), file)
    except OSError as error:
        raise click.ClickException(f"cannot write {file}: {error}; nothing was written") from None
    for table, rows in written.rows.items():
        click.echo(f"{table:<26} {rows:>12,} rows", err=True)
    click.echo(
        f"backed up dataset version {written.dataset_version} to {written.path}: "
        f"{len(written.rows)} tables, {sum(written.rows.values()):,} rows, "
        f"{written.size:,} bytes in {time.perf_counter() - started:.1f} s"
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Restore the backup FILE into an empty database, just migrated (one that holds records
    is refused), then bring the search index up to the restored data."""
    _require_schema()
    database, index = get_db(), get_index()
    started = time.perf_counter()
    with database.session() as session:
        empty = dataset_version(session) == 0
    if empty:
        # An index of this empty database (none may be there yet, or one left from another
        # database): the catch-up that follows the restore's commit starts from it.
        index.rebuild()
    try:
        version = restore_backup(database, file)
    except BackupRefused as refused:
        raise click.ClickException(f"{refused}; nothing was written") from None
    if index.reflects() != version:
        index.rebuild()
    click.echo(
        f"restored dataset version {version} from {file} "
        f"in {time.perf_counter() - started:.1f} s; search is up to date"
    )
    _require_search_current(version)
