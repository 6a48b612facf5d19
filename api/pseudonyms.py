"""Pseudonymous pupil ids for the audit log and erasure records.

``pupil~`` plus an HMAC of the scenario and pupil ids under a key kept in the state
folder (or ``SCHOOLRUN_PSEUDONYM_SECRET``): the audit can say that the same pupil was
read twice, and a subject access request can find those rows by recomputing it, but
the rows never hold the id itself, so erasing the pupil leaves nothing to rewrite there.
"""

from __future__ import annotations

import hashlib
import hmac

PSEUDONYM_PREFIX = "pupil~"
PSEUDONYM_HEX_CHARS = 20


def pupil_pseudonym(key: str, scenario_id: int, pupil_id: str) -> str:
    """The pseudonym of one pupil of one scenario (stable for a given key)."""
    digest = hmac.new(key.encode(), f"{scenario_id}/{pupil_id}".encode(), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:PSEUDONYM_HEX_CHARS]


def pupil_resource(scenario_id: int, pseudonym: str) -> str:
    """The audit ``resource`` of a row about one pupil (the one form: subject access
    finds their rows by it, through the index on ``audit_log.resource``)."""
    return f"scenario:{scenario_id}/{pseudonym}"
