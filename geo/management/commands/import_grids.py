"""`manage.py import_grids PATH`: see geo.importing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.coords import CoordSystem
from geo.importing import import_grids
from grids.models import GridCell


class Command(BaseCommand):
    help = "Import grid cells (15-digit codes) from a Shapefile, GeoPackage or GeoJSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--code-field", default="code")
        parser.add_argument("--name-field", default="name")
        parser.add_argument("--households-field", default=None)
        parser.add_argument("--kind", default=GridCell.Kind.COMPREHENSIVE, choices=GridCell.Kind.values)
        parser.add_argument("--crs", default=None, help="CRS of the file when it declares none, e.g. EPSG:4549")
        parser.add_argument("--coords", default=CoordSystem.WGS84, choices=[s.value for s in CoordSystem])
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        result = import_grids(
            options["path"],
            code_field=options["code_field"],
            name_field=options["name_field"],
            households_field=options["households_field"],
            kind=options["kind"],
            crs=options["crs"],
            coords=options["coords"],
            dry_run=options["dry_run"],
        )
        if not result.ok:
            raise CommandError(result.report(options["path"]))
        self.stdout.write(result.summary(options["path"], dry_run=options["dry_run"]))
