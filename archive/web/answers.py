"""Answers other than a rendered page, shared by the blueprints."""

from __future__ import annotations

from typing import NoReturn, TypeVar

from flask import abort, jsonify

from archive.web import formats

T = TypeVar("T")


def not_found(message: str) -> NoReturn:
    """Answer 404 in the format the URL asks for: a JSON object for a JSON twin, else the
    error page (for a CSV twin too)."""
    if formats.requested() == "json":
        response = jsonify(error="not found", message=message)
        response.status_code = 404
        abort(response)
    abort(404, description=message)


def found(record: T | None, kind: str, key: str) -> T:
    """Return the record read for ``key``; when there is none, answer 404 saying that there is
    no ``kind`` (statement, person...) with that key, in the format the URL asks for."""
    if record is None:
        not_found(f"There is no {kind} with the key {key!r}.")
    return record
