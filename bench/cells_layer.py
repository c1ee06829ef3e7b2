"""Benchmark: the supervisor map's cells layer (GET /api/geo/cells/) on the loaded city.

Ours: oversight.cells_layer.cells_geojson builds the whole FeatureCollection inside PostgreSQL (one
statement: ST_SimplifyPreserveTopology + ST_AsGeoJSON + json_agg, open-case counts joined).
Baseline, measured in the same run: the textbook DRF way, djangorestframework-gis's
GeoFeatureModelSerializer over the same visible cells with the counts annotated, rendered
by DRF's JSONRenderer in Python. Both are timed as the server work for an administrator
(all cells), best of --repeat runs, and their feature counts are checked to agree.

    .venv/bin/python bench/cells_layer.py [--repeat 5]

Needs the demo city (manage.py load_demo_city); reads only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from rest_framework import serializers  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402
from rest_framework_gis.serializers import GeoFeatureModelSerializer  # noqa: E402

from grids.models import GridCell  # noqa: E402
from oversight.cells_layer import OPEN_STATUSES, cells_geojson, cells_visible_to  # noqa: E402


class CellFeatureSerializer(GeoFeatureModelSerializer):
    open_cases = serializers.IntegerField()

    class Meta:
        model = GridCell
        geo_field = "geom"
        fields = ["id", "code", "name", "kind", "open_cases"]


def baseline(user) -> bytes:
    cells = cells_visible_to(user=user).annotate(
        open_cases=Count("cases", filter=Q(cases__status__in=OPEN_STATUSES))
    ).order_by("code")
    return JSONRenderer().render(CellFeatureSerializer(cells, many=True).data)


def ours(user) -> bytes:
    return cells_geojson(user=user, risk_model="recency_v1").encode()


def best_of(fn, user, repeat: int) -> tuple[float, bytes]:
    times, body = [], b""
    for _ in range(repeat):
        started = time.perf_counter()
        body = fn(user)
        times.append(time.perf_counter() - started)
    return min(times), body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    admin = get_user_model().objects.filter(is_superuser=True).first()
    if admin is None or not GridCell.objects.exists():
        sys.exit("load the demo city first: manage.py load_demo_city")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}")
    n_cells = GridCell.objects.count()
    ours(admin)  # warm connection and plans
    t_ours, body_ours = best_of(ours, admin, args.repeat)
    t_base, body_base = best_of(baseline, admin, args.repeat)
    n_ours = len(json.loads(body_ours)["features"])
    n_base = len(json.loads(body_base)["features"])
    if n_ours != n_base:
        sys.exit(f"disagree: {n_ours} vs {n_base} features")
    print(f"cells: {n_cells} (all visible to an administrator)")
    print(f"ours (SQL-assembled GeoJSON): best {t_ours:.3f} s of {args.repeat}, "
          f"{len(body_ours) / 1e6:.2f} MB, gzip {len(gzip.compress(body_ours)) / 1e6:.2f} MB")
    print(f"baseline (GeoFeatureModelSerializer): best {t_base:.3f} s of {args.repeat}, {len(body_base) / 1e6:.2f} MB")
    print(f"ratio: ours is {t_base / t_ours:.1f}x faster than the baseline")


if __name__ == "__main__":
    main()
