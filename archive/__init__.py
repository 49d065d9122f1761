"""The dissent archive: a searchable, citable archive of public political dissent."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the archive's Flask application."""
    from archive import cli, config, db, search, views

    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_mapping(config.load(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    db.init_app(app)
    search.init_app(app)
    views.init_app(app)
    cli.init_app(app)
    return app
