"""Rebuild the guardian scope groups from the role and grid assignments (access.scopes).

Run after a bulk load of staff that bypassed signals; `make run` runs it after migrating.
Safe to run any number of times."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from access.scopes import rebuild_scope_groups


class Command(BaseCommand):
    help = "Rebuild the guardian scope groups, grants and memberships from the assignment tables."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = rebuild_scope_groups()
        self.stdout.write(
            "scope groups: {groups}, memberships: {memberships} ({added} added, {removed} removed), "
            "{groups_deleted} unused rows deleted".format(**counts)
        )
