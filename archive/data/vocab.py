"""The controlled vocabularies of the archive: kinds, stances and date precisions."""

from __future__ import annotations

STATEMENT_KINDS = ("open_letter", "petition", "resolution", "appeal", "statement", "other")
STANCES = ("signed", "authored", "voted_for", "abstained", "withdrawn")
DISTRICT_KINDS = (
    "country",
    "region",
    "federal_city",
    "city",
    "district",
    "municipal_okrug",
    "town",
    "other",
)
SOURCE_KINDS = ("news", "social_media_post", "official_document", "primary_text", "other")
EVENT_KINDS = (
    "summoned",
    "interrogated",
    "searched",
    "charged",
    "fined",
    "detained",
    "arrested",
    "convicted",
    "acquitted",
    "mandate_revoked",
    "dismissed",
    "left_country",
    "other",
)
DATE_PRECISIONS = {4: "year", 7: "month", 10: "day"}
