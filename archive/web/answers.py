"""Answers other than a rendered page, shared by the blueprints."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, jsonify

from archive.web import formats


def not_found(message: str) -> NoReturn:
    """Answer 404 in the format the URL asks for: a JSON object for a JSON twin, else the
    error page (for a CSV twin too)."""
    if formats.requested() == "json":
        response = jsonify(error="not found", message=message)
        response.status_code = 404
        abort(response)
    abort(404, description=message)
