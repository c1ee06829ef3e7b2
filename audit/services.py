"""The one write path of the audit trail: `record()`."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.db import connection, models, transaction

from audit.chain import GENESIS, clean_detail, clean_text, link_hash
from audit.middleware import current_request
from audit.models import AuditEntry

if TYPE_CHECKING:
    from collections.abc import Mapping

    from django.http import HttpRequest

# The key of the PostgreSQL advisory lock that serialises appends ("wg-audit" as a bigint).
CHAIN_LOCK = int.from_bytes(b"wg-audit", "big")


class Target(NamedTuple):
    """What an entry is about when there is no model instance at hand (a username that was
    tried, an object already deleted): a model label, an id and a short description."""

    label: str
    id: str
    repr: str


def record(
    kind: AuditEntry.Kind | str,
    *,
    actor: Any = None,
    target: models.Model | Target | None = None,
    detail: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Appends one entry to the audit trail and returns it.

    kind     an `AuditEntry.Kind` (ValueError for anything else).
    actor    the user who acted; None = the system. When None and a request (given, or the
             one being served) carries a signed-in user, that user is the actor.
    target   the model instance the event is about, or a `Target`; None if none.
    detail   a small JSON-able dict saying what happened: ids, codes, field names, counts,
             the filters of an export. Never passwords, tokens or unmasked personal data
             (ID or phone numbers): keys naming a password or secret raise ValueError.
    request  for the client IP (REMOTE_ADDR; the proxy's X-Forwarded-For entry only with
             AUDIT_TRUST_X_FORWARDED_FOR). Defaults to the request being served.

    Joins the caller's transaction, so the entry commits or rolls back with the change it
    records (an audit row for a change that never happened would be a false trail; a
    change whose audit row cannot be written does not happen). Takes the chain lock, a
    transaction-level advisory lock held until that transaction ends: concurrent appends
    queue there, so call record() late in a long transaction, not first.
    """
    kind = AuditEntry.Kind(kind)
    request = request if request is not None else current_request()
    # A DRF Request authenticates inside `.user`, and a failed Basic password is recorded
    # from within that: read the Django request beneath it (the session's user) instead.
    request = getattr(request, "_request", request)
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    values: dict[str, Any] = {
        "kind": kind.value,
        "actor_id": actor.pk if actor is not None else None,
        "actor_username": clean_text(actor.get_username(), 150) if actor is not None else "",
        "ip_address": client_ip(request) if request is not None else "",
        "detail": clean_detail(dict(detail or {})),
        **_target_values(target),
    }
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        # A statement of its own after the lock: under READ COMMITTED its snapshot includes
        # the entry that the previous lock holder committed before releasing the lock.
        cursor.execute(
            f"SELECT clock_timestamp(), head.id, head.hash FROM (SELECT 1) AS one "  # noqa: S608 - a model's table name
            f"LEFT JOIN LATERAL (SELECT id, hash FROM {table} ORDER BY id DESC LIMIT 1) AS head ON true"
        )
        now, head_id, head_hash = cursor.fetchone()
        values["id"] = (head_id or 0) + 1
        values["time"] = now
        prev_hash = head_hash or GENESIS
        return AuditEntry.objects.create(**values, prev_hash=prev_hash, hash=link_hash(prev_hash, values))


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or, behind a reverse proxy the operator trusts, the address that proxy
    appended to X-Forwarded-For (the last one: entries before it are whatever the client
    sent). Empty when the address is not a valid IP."""
    address = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            address = forwarded[-1]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


def _target_values(target: models.Model | Target | None) -> dict[str, str]:
    if target is None:
        label, target_id, text = "", "", ""
    elif isinstance(target, Target):
        label, target_id, text = target
    else:
        label, target_id, text = target._meta.label_lower, str(target.pk), str(target)
    return {
        "target_type": clean_text(label, 100),
        "target_id": clean_text(str(target_id), 64),
        "target_repr": clean_text(text, 200),
    }
