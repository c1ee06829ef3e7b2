"""`manage.py import_areas PATH --level district|street|community`: see geo.importing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from geo.importing import AREA_CODE_LENGTH, import_areas
from geo.management.commands._boundary_file import add_file_arguments, file_options, report


class Command(BaseCommand):
    help = "Import district, street or community boundaries from a Shapefile, GeoPackage or GeoJSON."

    def add_arguments(self, parser: CommandParser) -> None:
        add_file_arguments(parser, code_field="adcode")
        parser.add_argument("--level", required=True, choices=[str(level) for level in AREA_CODE_LENGTH])
        parser.add_argument("--parent-field", default=None, help="parent code; default: derived from the code")

    def handle(self, *args: Any, **options: Any) -> None:
        result = import_areas(
            options["path"], level=options["level"], parent_field=options["parent_field"], **file_options(options)
        )
        report(result, options, self.stdout)
