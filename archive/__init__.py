"""The dissent archive: a searchable, citable archive of public political dissent.

The package is a folder per part; each part's ``__init__`` says what it owns and what it may
import (``tests/test_layout.py`` holds those walls):

- :mod:`archive.data`: the database: base, engine and sessions, write locks, models,
  vocabularies, migrations, revisioned writes and the dataset version, record snapshots.
- :mod:`archive.importing`: files to records to checks to one all-or-nothing write.
- :mod:`archive.index`: the Whoosh search index and every search of it.
- :mod:`archive.export`: the archive as CSV tables and a data package.
- :mod:`archive.reads`: read functions that take a session, one module per area.
- :mod:`archive.web`: the Flask blueprints, with each page's HTML, JSON and CSV.
- :mod:`archive.bench`: the benchmark, synthetic corpus and load client; the app never imports it.

This module holds the app factory alone; :mod:`archive.config` the settings and
:mod:`archive.cli` the ``archive`` command group.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the archive's Flask application: configuration, database, search index,
    blueprints and commands.

    It leaves the index as it is: a command that writes brings it up to date first, and a
    search hands what it cannot do at once (a backlog, a missing index) to a background
    thread (:meth:`archive.index.generations.SearchIndex.freshen`), so that ``archive check``
    sees the index as it is and no request waits for a rebuild.

    ``test_config`` overrides settings after the environment is read (keys as in
    :func:`archive.config.load`).
    """
    from flask import Flask

    from archive import cli, config, web
    from archive.data.database import Database
    from archive.index.generations import SearchIndex
    from archive.web import context

    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="web/static",
    )
    app.config.from_mapping(config.load(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    database = Database(app.config["DATABASE_URL"], busy_timeout=app.config["BUSY_TIMEOUT"])
    index = SearchIndex(app.config["INDEX_DIR"], database)
    database.after_commit.append(index.catch_up_after_commit)
    context.attach(app, database, index)
    web.init_app(app)
    cli.init_app(app)
    return app
