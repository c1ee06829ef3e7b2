"""The hash chain, in plain functions with no ORM: how one entry's hash is computed, what
its `detail` may hold so the hash survives a round trip through jsonb, and how a walk over
the stored rows finds the first broken link.

    hash = SHA-256( prev_hash + "\\n" + canonical JSON of the hashed fields )

The canonical JSON is an object with sorted keys, no whitespace, UTF-8 (not \\u-escaped);
`time` is ISO 8601 in UTC with microseconds, exactly what PostgreSQL stores. The first
entry's prev_hash is GENESIS. Anyone can recompute a hash from a row with this module and
hashlib, which is the point: the chain proves order and integrity, not secrecy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64

# Order is irrelevant to the hash (keys are sorted) but fixes the column order verify reads.
HASHED_FIELDS = (
    "id",
    "time",
    "kind",
    "actor_id",
    "actor_username",
    "target_type",
    "target_id",
    "target_repr",
    "ip_address",
    "detail",
)

# Keys that must never reach the trail, whatever a caller passes (DOMAIN §8: the trail is
# read by auditors, who see no passwords and no secrets).
FORBIDDEN_KEY = re.compile(r"passw|secret|otp_key", re.IGNORECASE)


def time_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(values: Mapping[str, Any]) -> bytes:
    row = {name: values[name] for name in HASHED_FIELDS}
    row["time"] = time_text(row["time"])
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def link_hash(prev_hash: str, values: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(values)).hexdigest()


def clean_text(value: str, max_length: int | None = None) -> str:
    """Text as PostgreSQL will store and return it: no NUL (refused by text and jsonb), no
    lone surrogates (not UTF-8), cut to the column's length before hashing."""
    value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value[:max_length] if max_length is not None else value


def clean_detail(value: Any, *, _depth: int = 0) -> Any:
    """`detail` reduced to what jsonb gives back unchanged: dicts with text keys, lists, text,
    integers, booleans and null. Anything else becomes text (floats too: jsonb rewrites
    1e+20 as 100000000000000000000, which would break the hash); sets become sorted lists.
    Raises ValueError for a key that names a password or secret."""
    if _depth > 20:
        raise ValueError("audit detail is nested too deeply")
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        cleaned = {}
        for key, item in value.items():
            key = clean_text(str(key))
            if FORBIDDEN_KEY.search(key):
                raise ValueError(f"audit detail must not carry {key!r}: no passwords or secrets in the trail")
            cleaned[key] = clean_detail(item, _depth=_depth + 1)
        return cleaned
    if isinstance(value, set | frozenset):
        items = [clean_detail(item, _depth=_depth + 1) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    if isinstance(value, list | tuple):
        return [clean_detail(item, _depth=_depth + 1) for item in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, float | Decimal):
        return str(value)
    return clean_text(str(value))


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold."""

    entry_id: int
    time: dt.datetime | None
    problem: str  # one of the PROBLEMS keys
    expected_id: int | None = None  # for "gap" and "missing_anchor": the id that should be there


PROBLEMS = ("hash_mismatch", "prev_hash_mismatch", "gap", "anchor_mismatch", "missing_anchor")


@dataclass(frozen=True)
class Verdict:
    checked: int  # entries that hold, in id order, before the break (all of them if intact)
    last_id: int | None
    last_hash: str | None
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def walk(rows: Iterable[tuple[Any, ...]], *, anchors: Mapping[int, str] | None = None) -> Verdict:
    """Checks rows of (*HASHED_FIELDS, prev_hash, hash) in id order and stops at the first
    break: an id that is not the previous + 1 (a deleted row, or one forged past the end),
    a prev_hash that is not the previous row's hash (a row before it rewritten and rehashed,
    or rows reordered), a hash that does not match the row's content (the row was altered),
    or an entry whose hash differs from one an operator noted off-box (`anchors`, id → hash:
    the whole chain from there on was rewritten consistently)."""
    anchors = dict(anchors or {})
    expected_id, prev_hash, checked = 1, GENESIS, 0
    last_id: int | None = None
    width = len(HASHED_FIELDS)
    for row in rows:
        values = dict(zip(HASHED_FIELDS, row[:width], strict=True))
        row_prev, row_hash = row[width], row[width + 1]
        problem = None
        if values["id"] != expected_id:
            problem = "gap"
        elif row_prev != prev_hash:
            problem = "prev_hash_mismatch"
        elif link_hash(row_prev, values) != row_hash:
            problem = "hash_mismatch"
        elif values["id"] in anchors and anchors.pop(values["id"]) != row_hash:
            problem = "anchor_mismatch"
        if problem:
            first = Break(values["id"], values["time"], problem, expected_id if problem == "gap" else None)
            return Verdict(checked, last_id, prev_hash if last_id else None, first)
        checked, last_id, prev_hash, expected_id = checked + 1, values["id"], row_hash, values["id"] + 1
    where: Break | None = None
    if anchors:
        # A noted entry beyond the end: rows were removed from the tail (or the table emptied).
        missing = min(anchors)
        where = Break(missing, None, "missing_anchor", missing)
    return Verdict(checked, last_id, prev_hash if last_id else None, where)
