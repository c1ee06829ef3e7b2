from __future__ import annotations

from django.db import connection


def test_database_is_postgis(db):
    with connection.cursor() as cur:
        cur.execute("SELECT postgis_version()")
        assert cur.fetchone()[0].startswith("3.")


def test_town_fixture_builds(town):
    assert len(town.cells) == 6
    assert town.cells[0].geom.valid
