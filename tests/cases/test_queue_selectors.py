"""The queue selectors' batch reads agree with the one-case reads they stand in for."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Point
from django.utils import timezone

from cases import services
from cases.selectors import duplicates_for_reports, possible_duplicates
from tests.factories import centre_of

HERE = centre_of(0, 0)


def test_page_of_duplicates_matches_possible_duplicates(town, grid_worker, centre_operator):
    earlier = timezone.now() - dt.timedelta(hours=2)
    offsets = [0.0, 0.0001, 0.0002, 0.0003, 0.0006, 0.002]  # up to ~220 m north
    cases = [
        services.case_report(actor=grid_worker, category=town.category, description="摊位",
                             location=Point(HERE.x, HERE.y + dy, srid=4326), at=earlier + dt.timedelta(minutes=i))
        for i, dy in enumerate(offsets)
    ]
    cases.append(services.case_report(actor=grid_worker, category=town.spot_category, description="杂物",
                                      location=HERE))
    batch = duplicates_for_reports(cases=cases, user=centre_operator, limit=5)
    for case in cases:
        one = possible_duplicates(case=case, user=centre_operator, limit=5)
        got = batch.get(case.pk, [])
        assert [c.pk for c in got] == [c.pk for c in one], case.number
        for a, b in zip(got, one, strict=True):
            assert abs(a.distance_m - b.distance_m) < 0.5
    assert batch  # the fixture does have duplicates to compare
