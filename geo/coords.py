"""Coordinate systems that phones and Chinese map SDKs send (DOMAIN §1).

WGS84 is what GPS reports and what we store. GCJ-02 ("Mars coordinates") is the obfuscated
system that AMap and Tencent report inside China; BD-09 is Baidu's further offset of GCJ-02.
The forward transform is the widely published one (e.g. eviltransform, coordtransform); the
inverse has no closed form, so it is solved by fixed-point iteration to well under 1 mm.
Outside China GCJ-02 equals WGS84, as the SDKs do.
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


class CoordSystem(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def _outside_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = _arrays(lon, lat)
    dlon, dlat = _delta(x, y)
    outside = _outside_china(x, y)
    return np.where(outside, x, x + dlon), np.where(outside, y, y + dlat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    gx, gy = _arrays(lon, lat)
    x, y = gx.copy(), gy.copy()
    # Fixed-point iteration: the offset varies slowly, so each step gains ~3 digits.
    for _ in range(10):
        fx, fy = wgs84_to_gcj02(x, y)
        x, y = x - (fx - gx), y - (fy - gy)
    return x, y


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    bx, by = _arrays(lon, lat)
    # The published closed-form inverse is off by up to ~1e-6 degrees (10+ cm); start from it
    # and refine by fixed-point iteration against the exact forward transform.
    x, y = bx - 0.0065, by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    x, y = z * np.cos(theta), z * np.sin(theta)
    for _ in range(5):
        fx, fy = gcj02_to_bd09(x, y)
        x, y = x - (fx - bx), y - (fy - by)
    return x, y


def to_wgs84(lon: ArrayLike, lat: ArrayLike, system: CoordSystem | str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Converts coordinates in `system` to WGS84 (vectorised; scalars give 0-d arrays)."""
    system = CoordSystem(system)
    if system is CoordSystem.WGS84:
        return _arrays(lon, lat)
    if system is CoordSystem.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def from_wgs84(lon: ArrayLike, lat: ArrayLike, system: CoordSystem | str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    system = CoordSystem(system)
    if system is CoordSystem.WGS84:
        return _arrays(lon, lat)
    if system is CoordSystem.GCJ02:
        return wgs84_to_gcj02(lon, lat)
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def point_to_wgs84(lon: float, lat: float, system: CoordSystem | str) -> tuple[float, float]:
    x, y = to_wgs84(lon, lat, system)
    return float(x), float(y)
