"""Statistical division codes nest by prefix; a city's code is its 4-digit prefix + "00"."""

from __future__ import annotations

from access import codes

CELL = "320213001001007"


def test_a_cells_places_are_its_prefixes_with_the_city_spelt_with_00():
    assert (codes.city_code(CELL), codes.district_code(CELL), codes.street_code(CELL),
            codes.community_code(CELL)) == ("320200", "320213", "320213001", "320213001001")
    assert codes.ancestor_codes(CELL) == ["320200", "320213", "320213001", "320213001001"]
    assert codes.ancestor_codes("320213") == ["320200", "320213"]
    assert codes.ancestor_codes("320200") == ["320200"]


def test_a_districts_parent_is_its_city_and_a_streets_its_district():
    assert codes.parent_code("320213") == "320200"
    assert codes.parent_code("320213001") == "320213"
    assert codes.parent_code(CELL) == "320213001001"


def test_a_city_covers_its_first_four_digits_and_the_prefix_names_it_back():
    assert codes.jurisdiction_prefix("320200", "city") == "3202"
    assert codes.jurisdiction_prefix("320213", "district") == "320213"
    assert codes.area_code_of_prefix("3202") == "320200"
    assert codes.area_code_of_prefix("320213001") == "320213001"
    assert codes.covers(("3202",), CELL) and codes.covers(("320213001",), CELL)
    assert not codes.covers(("320214",), CELL) and not codes.covers((), CELL)
