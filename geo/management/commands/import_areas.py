"""`manage.py import_areas PATH --level district|street|community`: see geo.importing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.coords import CoordSystem
from geo.importing import AREA_CODE_LENGTH, import_areas


class Command(BaseCommand):
    help = "Import district, street or community boundaries from a Shapefile, GeoPackage or GeoJSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--level", required=True, choices=[str(level) for level in AREA_CODE_LENGTH])
        parser.add_argument("--code-field", default="adcode")
        parser.add_argument("--name-field", default="name")
        parser.add_argument("--parent-field", default=None, help="parent code; default: derived from the code")
        parser.add_argument("--crs", default=None, help="CRS of the file when it declares none, e.g. EPSG:4549")
        parser.add_argument("--coords", default=CoordSystem.WGS84, choices=[s.value for s in CoordSystem])
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        result = import_areas(
            options["path"],
            level=options["level"],
            code_field=options["code_field"],
            name_field=options["name_field"],
            parent_field=options["parent_field"],
            crs=options["crs"],
            coords=options["coords"],
            dry_run=options["dry_run"],
        )
        if not result.ok:
            raise CommandError(result.report(options["path"]))
        self.stdout.write(result.summary(options["path"], dry_run=options["dry_run"]))
