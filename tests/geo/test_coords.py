"""geo.coords against published reference values.

Sources of the reference values:
- EVILTRANSFORM: googollee/eviltransform, python/test.py (TESTS), WGS84 → GCJ-02 pairs for
  Shanghai, Shenzhen and Beijing, printed to full float precision;
  https://github.com/googollee/eviltransform/blob/master/python/test.py
- COORDTRANSFORM: wandergis/coordtransform, README.md "示例用法", the results printed for
  (116.404, 39.915) by bd09togcj02, gcj02tobd09, wgs84togcj02 and gcj02towgs84;
  https://github.com/wandergis/coordtransform#readme
  (its gcj02towgs84 is the one-step approximation, not an exact inverse; see the test.)
"""

from __future__ import annotations

import numpy as np
import pytest

from geo.coords import (
    CoordSystem,
    bd09_to_gcj02,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    point_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)

# (name, WGS84 lon, lat, GCJ-02 lon, lat), EVILTRANSFORM (which lists lat before lon).
EVILTRANSFORM = [
    ("shanghai", 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    ("shenzhen", 113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    ("beijing", 116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]
# COORDTRANSFORM: every function applied to the same input point.
BAIDU_INPUT = (116.404, 39.915)
COORDTRANSFORM = {
    "bd09togcj02": (116.39762729119315, 39.90865673957631),
    "gcj02tobd09": (116.41036949371029, 39.92133699351021),
    "wgs84togcj02": (116.41024449916938, 39.91640428150164),
    "gcj02towgs84": (116.39775550083061, 39.91359571849836),
}
# Wuxi's extent (DOMAIN §1 and bench/locate.py), sampled every ~0.01°.
WUXI_LON, WUXI_LAT = (a.ravel() for a in np.meshgrid(np.linspace(119.5, 120.6, 111), np.linspace(31.1, 32.0, 91)))
ROUND_TRIP_DEGREES = 1e-6  # ~0.1 m: well inside a grid cell's sliver tolerance

@pytest.mark.parametrize(("name", "wlon", "wlat", "glon", "glat"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform(name, wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert (float(lon), float(lat)) == pytest.approx((glon, glat), abs=1e-9)


@pytest.mark.parametrize(("name", "wlon", "wlat", "glon", "glat"), EVILTRANSFORM)
def test_gcj02_to_wgs84_recovers_the_eviltransform_point(name, wlon, wlat, glon, glat):
    # eviltransform only promises 0.5 m for its own inverse; ours iterates to float precision.
    assert point_to_wgs84(glon, glat, CoordSystem.GCJ02) == pytest.approx((wlon, wlat), abs=1e-9)


def test_baidu_example_gcj02_to_bd09():
    lon, lat = gcj02_to_bd09(*BAIDU_INPUT)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM["gcj02tobd09"], abs=1e-9)
    assert (round(float(lon), 8), round(float(lat), 8)) == (116.41036949, 39.92133699)


def test_baidu_example_bd09_to_gcj02():
    lon, lat = bd09_to_gcj02(*BAIDU_INPUT)
    # coordtransform's value comes from the closed-form inverse, which is itself ~4e-7° off;
    # ours is refined until the forward transform gives the input back exactly.
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM["bd09togcj02"], abs=1e-6)
    back = gcj02_to_bd09(lon, lat)
    assert (float(back[0]), float(back[1])) == pytest.approx(BAIDU_INPUT, abs=1e-12)


def test_coordtransform_example_wgs84_to_gcj02():
    lon, lat = wgs84_to_gcj02(*BAIDU_INPUT)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM["wgs84togcj02"], abs=1e-9)


def test_coordtransform_example_gcj02_to_wgs84_within_its_approximation():
    # coordtransform subtracts the offset evaluated at the GCJ-02 point (one step); the exact
    # inverse differs from it by ~5e-7° (5 cm) here, and maps back onto the input exactly.
    lon, lat = gcj02_to_wgs84(*BAIDU_INPUT)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM["gcj02towgs84"], abs=1e-6)
    back = wgs84_to_gcj02(lon, lat)
    assert (float(back[0]), float(back[1])) == pytest.approx(BAIDU_INPUT, abs=1e-12)


def test_offsets_in_wuxi_are_hundreds_of_metres():
    # A sanity bound on the whole grid: GCJ-02 moves Wuxi roughly 450-550 m east-north-east.
    lon, lat = wgs84_to_gcj02(WUXI_LON, WUXI_LAT)
    assert np.all((lon - WUXI_LON > 0.003) & (lon - WUXI_LON < 0.006))
    assert np.all((lat - WUXI_LAT > -0.003) & (lat - WUXI_LAT < 0.0))


@pytest.mark.parametrize(
    "system", [CoordSystem.WGS84, CoordSystem.GCJ02, CoordSystem.BD09]
)
def test_round_trip_over_wuxi_is_exact_to_a_micro_degree(system):
    lon, lat = to_wgs84(*from_wgs84(WUXI_LON, WUXI_LAT, system), system)
    assert np.abs(lon - WUXI_LON).max() < ROUND_TRIP_DEGREES
    assert np.abs(lat - WUXI_LAT).max() < ROUND_TRIP_DEGREES
    lon, lat = from_wgs84(*to_wgs84(WUXI_LON, WUXI_LAT, system), system)
    assert np.abs(lon - WUXI_LON).max() < ROUND_TRIP_DEGREES
    assert np.abs(lat - WUXI_LAT).max() < ROUND_TRIP_DEGREES


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-0.1276, 51.5072), (139.6917, 35.6895), (151.2093, -33.8688), (60.0, 40.0)],  # London, Tokyo, Sydney, west of China
)
def test_points_outside_china_are_unchanged_by_gcj02(lon, lat):
    assert point_to_wgs84(lon, lat, CoordSystem.GCJ02) == (lon, lat)
    gx, gy = from_wgs84(lon, lat, CoordSystem.GCJ02)
    assert (float(gx), float(gy)) == (lon, lat)


def test_wgs84_is_passed_through_and_vectorised_shapes_are_kept():
    lon, lat = to_wgs84(WUXI_LON.reshape(91, 111), WUXI_LAT.reshape(91, 111), "wgs84")
    assert lon.shape == (91, 111)
    assert np.array_equal(lon.ravel(), WUXI_LON) and np.array_equal(lat.ravel(), WUXI_LAT)
    x, y = to_wgs84(120.3, 31.57, "gcj02")
    assert x.shape == () and y.shape == ()


def test_unknown_system_is_rejected():
    with pytest.raises(ValueError, match="cgcs"):
        to_wgs84(120.3, 31.57, "cgcs")
