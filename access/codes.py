"""Statistical division codes and the jurisdictions they spell (DOMAIN §2).

Codes nest by prefix: a district is 6 digits, a street 9, a community 12, a grid cell 15,
each starting with the code of the place it lies in. A city's code is its 4-digit prefix +
"00", so the city's own code is not a prefix of its districts': what a city covers is its
first 4 digits. Pure string arithmetic, no database: every prefix, parent and ancestor in
the project is computed here.
"""

from __future__ import annotations

from grids.models import Area

CITY_PREFIX_LENGTH = 4
DISTRICT_LENGTH = 6
STREET_LENGTH = 9
COMMUNITY_LENGTH = 12
CELL_LENGTH = 15

_CITY_SUFFIX = "00"


def city_code(code: str) -> str:
    """The code of the city a place or cell code lies in."""
    return code[:CITY_PREFIX_LENGTH] + _CITY_SUFFIX


def district_code(code: str) -> str:
    return code[:DISTRICT_LENGTH]


def street_code(code: str) -> str:
    return code[:STREET_LENGTH]


def community_code(code: str) -> str:
    return code[:COMMUNITY_LENGTH]


def parent_code(code: str) -> str:
    """The code of the place one level up: a district's parent is its city."""
    if len(code) == DISTRICT_LENGTH:
        return city_code(code)
    return code[: len(code) - 3]


def ancestor_codes(code: str) -> list[str]:
    """The codes of the city, district, street and community a cell or area code lies in
    (and the area itself), top first."""
    found = [city_code(code)] + [
        code[:n] for n in (DISTRICT_LENGTH, STREET_LENGTH, COMMUNITY_LENGTH) if n <= len(code)
    ]
    return list(dict.fromkeys(found))


def jurisdiction_prefix(code: str, level: str) -> str:
    """The cell-code prefix an area covers: a city's cells share only its first 4 digits."""
    return code[:CITY_PREFIX_LENGTH] if level == Area.Level.CITY else code


def area_code_of_prefix(prefix: str) -> str:
    """The area whose jurisdiction is `prefix` (jurisdiction_prefix's inverse)."""
    return prefix + _CITY_SUFFIX if len(prefix) == CITY_PREFIX_LENGTH else prefix


def covers(prefixes: tuple[str, ...], code: str) -> bool:
    """Whether a jurisdiction (its code prefixes) covers a cell or area code."""
    return any(code.startswith(p) for p in prefixes)
