"""Scores every grid cell's risk now, as the nightly Celery beat job does. `make run` calls
it once so a fresh demo has a risk layer before the first night."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from risk.services import risk_score_all_cells


class Command(BaseCommand):
    help = "Score every grid cell's risk for the horizon starting --date (default today)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="ISO date the horizon starts on (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date must be an ISO date like 2026-11-24, got {options['date']!r}") from None
        scored = risk_score_all_cells(as_of=day)
        self.stdout.write(f"Scored {scored} grid cells for the horizon starting {day.isoformat()}.")
