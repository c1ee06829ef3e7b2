"""Walks the audit trail in id order and recomputes every hash: exit 0 and "audit trail
intact: N entries", or the first broken entry and exit 1.

    manage.py verify_audit                      # the whole chain
    manage.py verify_audit --anchor 81234:3fa9… # and entry 81234 still has the hash noted then
    manage.py verify_audit --head               # the latest id, time and hash, to note off-box
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.chain import Break, time_text
from audit.selectors import audit_chain_verdict, audit_head

ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def anchor(value: str) -> tuple[int, str]:
    match = ANCHOR.match(value.strip().lower())
    if not match:
        raise ValueError(value)
    return int(match[1]), match[2]


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 and name the first broken entry if it does not hold."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--head", action="store_true",
            help="only print the latest entry's id, time and hash (note them somewhere the database's admins cannot write)",
        )
        parser.add_argument(
            "--anchor", action="append", type=anchor, default=[], metavar="ID:HASH",
            help="an id and hash printed by --head earlier: the entry must still be there with that hash (repeatable)",
        )
        parser.add_argument("--chunk-size", type=int, default=5000, help="rows read per query")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["head"]:
            head = audit_head()
            if head is None:
                self.stdout.write(_("audit trail is empty"))
            else:
                self.stdout.write(_("audit trail head: %(id)d:%(hash)s at %(time)s") % {
                    "id": head.id, "hash": head.hash, "time": time_text(head.time),
                })
            return
        verdict = audit_chain_verdict(anchors=dict(options["anchor"]), chunk_size=options["chunk_size"])
        if verdict.broken is None:
            self.stdout.write(_("audit trail intact: %(count)d entries") % {"count": verdict.checked})
            return
        raise CommandError(
            _("audit trail broken at entry %(id)d (%(time)s): %(problem)s; the %(count)d entries before it hold")
            % {
                "id": verdict.broken.entry_id,
                "time": time_text(verdict.broken.time) if verdict.broken.time else "-",
                "problem": describe(verdict.broken, verdict.last_id),
                "count": verdict.checked,
            },
            returncode=1,
        )


def describe(where: Break, last_id: int | None) -> str:
    if where.problem == "hash_mismatch":
        return _("hash mismatch: the entry was changed after it was written")
    if where.problem == "prev_hash_mismatch":
        return _("prev_hash does not link to entry %(prev)d: that entry was rewritten, or entries reordered") % {
            "prev": where.entry_id - 1,
        }
    if where.problem == "gap":
        return _("gap in ids, expected %(expected)d: entries %(expected)d to %(last)d were deleted") % {
            "expected": where.expected_id, "last": where.entry_id - 1,
        }
    if where.problem == "anchor_mismatch":
        return _("hash differs from the one noted for this entry: the chain was rewritten from here or earlier")
    return _("the noted entry is missing, the trail ends at %(last)s: entries were deleted from the end") % {
        "last": last_id if last_id is not None else "-",
    }
