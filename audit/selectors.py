"""Reads of the audit trail: the chain in id order, its head, and its verification."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from audit.chain import HASHED_FIELDS, Verdict, walk
from audit.models import AuditEntry


def audit_rows_in_order(*, chunk_size: int = 5000) -> Iterator[tuple[Any, ...]]:
    """Every entry as (*HASHED_FIELDS, prev_hash, hash), by id, a chunk at a time: keyset
    pages on the primary key, so memory stays flat at any size and no server-side cursor
    (nor a transaction held open for the whole walk) is needed."""
    last_id = 0
    columns = (*HASHED_FIELDS, "prev_hash", "hash")
    while True:
        chunk = list(
            AuditEntry.objects.filter(id__gt=last_id).order_by("id").values_list(*columns)[:chunk_size]
        )
        yield from chunk
        if len(chunk) < chunk_size:
            return
        last_id = chunk[-1][0]


def audit_chain_verdict(*, anchors: Mapping[int, str] | None = None, chunk_size: int = 5000) -> Verdict:
    """Walks the whole chain (see audit.chain.walk) and says whether it holds."""
    return walk(audit_rows_in_order(chunk_size=chunk_size), anchors=anchors)


def audit_head() -> AuditEntry | None:
    """The latest entry: its id and hash are what an operator notes off-box."""
    return AuditEntry.objects.order_by("-id").first()
