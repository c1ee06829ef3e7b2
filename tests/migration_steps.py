"""Walking the migration graph in a test: the model moves between apps are checked by
migrating a database back to the old homes, writing rows there, and forward again."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    """Migrates to `targets`; returns a fresh executor, whose loader sees the new state."""
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


def leaf_nodes() -> list[tuple[str, str | None]]:
    """Every app's newest migration."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()
