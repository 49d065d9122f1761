"""The app's database, search index and per-request session: the seam between Flask and the
parts that know nothing of it (the data, the index)."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from archive.data.database import Database
from archive.index.generations import SearchIndex

DATABASE = "archive.data"
INDEX = "archive.index"


def attach(app: Flask, database: Database, index: SearchIndex) -> None:
    """Keep the database and the index on the app, and close each request's session."""
    app.extensions[DATABASE] = database
    app.extensions[INDEX] = index
    app.teardown_appcontext(close_session)


def get_db(app: Flask | None = None) -> Database:
    """Return the application's database."""
    db: Database = (app or current_app).extensions[DATABASE]
    return db


def get_index(app: Flask | None = None) -> SearchIndex:
    """Return the application's search index."""
    index: SearchIndex = (app or current_app).extensions[INDEX]
    return index


def get_session() -> Session:
    """Return the read session of the current request, opening it on first use (a page and
    its CSV twin read one snapshot)."""
    if "db_session" not in g:
        g.db_session = get_db().snapshot_session()
    session: Session = g.db_session
    return session


def take_session() -> Session:
    """Hand the request's session to the caller, who closes it (a streamed answer outlives
    the request: Flask tears the request down before the body is read)."""
    session = get_session()
    g.pop("db_session", None)
    return session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's session, if one was opened."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
