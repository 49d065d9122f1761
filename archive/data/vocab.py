"""The controlled vocabularies of the archive: kinds, stances and date precisions.

Each vocabulary is a tuple of its values in the order the README's table lists them; the
import refuses any other value.
"""

from __future__ import annotations

STATEMENT_KINDS = ("open_letter", "petition", "resolution", "appeal", "statement", "other")
STANCES = ("signed", "authored", "voted_for", "abstained", "withdrawn")
_DISTRICT_KINDS = "country region federal_city city district municipal_okrug town other"
DISTRICT_KINDS = tuple(_DISTRICT_KINDS.split())
SOURCE_KINDS = ("news", "social_media_post", "official_document", "primary_text", "other")
_EVENT_KINDS = """summoned interrogated searched charged fined detained arrested convicted
acquitted mandate_revoked dismissed left_country other"""
EVENT_KINDS = tuple(_EVENT_KINDS.split())
# Keys no person may have: /people/candidates is the list of candidates, not a person's page.
RESERVED_PERSON_KEYS = frozenset({"candidates"})
# The length of an ISO 8601 date -> how much of it is known.
DATE_PRECISIONS = {4: "year", 7: "month", 10: "day"}
