"""The audit log's hash chain: each row carries the SHA-256 of the row before it.

A row's hash covers every column but its id and its own hash, plus the previous row's
hash, so changing any field of any row, or removing a row from the middle, breaks the
chain at that point. Rows removed by retention leave an ``audit.purge`` row naming the
last removed row's hash: the chain may then start from it instead of the genesis.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
PURGE_ACTION = "audit.purge"


@dataclass(frozen=True, slots=True)
class ChainFields:
    """What a row's hash covers (every column but ``id`` and ``row_hash``)."""

    at: datetime
    user_id: int | None
    username: str
    role: str
    action: str
    resource: str
    request_id: str
    detail: dict[str, Any]
    prev_hash: str


def row_hash(fields: ChainFields) -> str:
    """SHA-256 hex of the canonical JSON of ``fields``."""
    at = fields.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = [
        at,
        fields.user_id,
        fields.username,
        fields.role,
        fields.action,
        fields.resource,
        fields.request_id,
        fields.detail,
        fields.prev_hash,
    ]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One stored row as the verifier reads it."""

    id: int
    fields: ChainFields
    row_hash: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What ``verify_chain`` found: rows read, the newest row's id and hash, problems."""

    num_rows: int
    head_id: int | None
    head_hash: str
    problems: tuple[str, ...]

    @property
    def is_intact(self) -> bool:
        return not self.problems


def _purge_anchors(rows: list[ChainRow]) -> dict[str, int]:
    anchors = {}
    for row in rows:
        if row.fields.action == PURGE_ACTION:
            through_hash = row.fields.detail.get("through_hash")
            if isinstance(through_hash, str):
                anchors[through_hash] = int(row.fields.detail.get("through_id", 0))
    return anchors


def verify_chain(rows: Iterable[ChainRow]) -> ChainReport:
    """Check every row's hash and link, in id order.

    Parameters
    ----------
    rows
        The audit rows in ascending id order.

    Returns
    -------
    ChainReport
        One problem per row whose own hash does not match its fields (changed) or whose
        previous hash is not the hash of the row before it (a row missing or changed).
    """
    ordered = list(rows)
    problems: list[str] = []
    expected_prev = GENESIS_HASH
    if ordered and ordered[0].fields.prev_hash != GENESIS_HASH:
        first = ordered[0]
        through_id = _purge_anchors(ordered).get(first.fields.prev_hash)
        if through_id is not None and through_id < first.id:
            expected_prev = first.fields.prev_hash  # older rows purged by retention
    for row in ordered:
        if row.fields.prev_hash != expected_prev:
            problems.append(
                f"Audit row {row.id}: its previous hash {row.fields.prev_hash[:12]} is not "
                f"the hash {expected_prev[:12]} of the row before it (a row is missing or changed)."
            )
        if row_hash(row.fields) != row.row_hash:
            problems.append(f"Audit row {row.id}: its content does not match its hash (changed).")
        expected_prev = row.row_hash
    head = ordered[-1] if ordered else None
    return ChainReport(
        num_rows=len(ordered),
        head_id=head.id if head else None,
        head_hash=head.row_hash if head else GENESIS_HASH,
        problems=tuple(problems),
    )
