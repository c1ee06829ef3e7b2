"""`manage.py import_grids PATH`: see geo.importing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from geo.importing import import_grids
from geo.management.commands._boundary_file import add_file_arguments, file_options, report
from grids.models import GridCell


class Command(BaseCommand):
    help = "Import grid cells (15-digit codes) from a Shapefile, GeoPackage or GeoJSON."

    def add_arguments(self, parser: CommandParser) -> None:
        add_file_arguments(parser, code_field="code")
        parser.add_argument("--households-field", default=None)
        parser.add_argument("--kind", default=GridCell.Kind.COMPREHENSIVE, choices=GridCell.Kind.values)

    def handle(self, *args: Any, **options: Any) -> None:
        result = import_grids(
            options["path"], households_field=options["households_field"], kind=options["kind"],
            **file_options(options),
        )
        report(result, options, self.stdout)
