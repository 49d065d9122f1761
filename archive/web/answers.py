"""Answers other than a rendered page, shared by the blueprints."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, jsonify


def not_found(message: str, as_json: bool = False) -> NoReturn:
    """Answer 404: the error page, or a JSON object for a JSON twin."""
    if as_json:
        response = jsonify(error="not found", message=message)
        response.status_code = 404
        abort(response)
    abort(404, description=message)
