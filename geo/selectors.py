"""Spatial reads: which grid cell holds a point."""

from __future__ import annotations

from django.contrib.gis.geos import Point

from grids.models import GridCell


def grid_cell_for_point(point: Point) -> GridCell | None:
    """The one comprehensive cell covering `point` (WGS84), or None outside every cell.

    A point on an edge shared by two cells is covered by both; the lowest code wins, so the
    answer never depends on row order.
    """
    return (
        GridCell.objects.filter(kind=GridCell.Kind.COMPREHENSIVE, geom__covers=point)
        .select_related("community")
        .order_by("code")
        .first()
    )
