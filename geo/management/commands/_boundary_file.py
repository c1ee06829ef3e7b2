"""Arguments that import_areas and import_grids share (a leading underscore keeps Django
from taking this module for a command)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser, OutputWrapper

from geo.coords import CoordSystem
from geo.importing import ImportResult


def add_file_arguments(parser: CommandParser, *, code_field: str) -> None:
    parser.add_argument("path")
    parser.add_argument("--code-field", default=code_field)
    parser.add_argument("--name-field", default="name")
    parser.add_argument("--crs", default=None, help="CRS of the file when it declares none, e.g. EPSG:4549")
    parser.add_argument("--coords", default=CoordSystem.WGS84, choices=[s.value for s in CoordSystem])
    parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")


def file_options(options: dict[str, Any]) -> dict[str, Any]:
    """The shared options as keyword arguments of geo.importing's functions."""
    return {
        "code_field": options["code_field"],
        "name_field": options["name_field"],
        "crs": options["crs"],
        "coords": options["coords"],
        "dry_run": options["dry_run"],
    }


def report(result: ImportResult, options: dict[str, Any], stdout: OutputWrapper) -> None:
    """Refuses with the list of bad features, or prints the counts."""
    if not result.ok:
        raise CommandError(result.report(options["path"]))
    stdout.write(result.summary(options["path"], dry_run=options["dry_run"]))
