"""manage.py load_demo_city: the Wuxi demo city, its people and a year of cases."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from demo.load import city_loaded, has_data, load_demo_city, wipe
from demo.places import CITY_CODE

# Any constant: two `make run`s starting at once must not both load (or both wipe).
_ADVISORY_LOCK = 0x77616E67  # "wang"


class Command(BaseCommand):
    help = (
        "Loads the Wuxi demo: real district boundaries subdivided into streets, communities and "
        "over 3,000 grid cells, the 16 departments, the category taxonomy, demo accounts for every "
        "role (see demo_accounts) and a year of cases. One transaction: all or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="random seed of the generated city (default 1)")
        parser.add_argument("--cases", type=int, default=400, help="historical cases to create (default 400)")
        parser.add_argument(
            "--scale", type=float, default=1.0,
            help="multiplies the number of grid cells (default 1: about 3,600; 2.8 gives the 10,000 of the "
                 "benchmarks)",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--if-empty", action="store_true", help="do nothing if the city is already loaded")
        mode.add_argument(
            "--replace", action="store_true",
            help="wipe ALL places, departments, categories and cases first, then load",
        )

    def handle(
        self, *args: Any, seed: int, cases: int, scale: float, if_empty: bool, replace: bool, **options: Any
    ) -> None:
        if cases < 0:
            raise CommandError("--cases must be zero or more")
        if not 0.05 <= scale <= 10:
            raise CommandError("--scale must lie between 0.05 and 10")
        started = time.perf_counter()
        with transaction.atomic():
            # Held to the end of the transaction, so the check below and the load are one step.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
            if if_empty and city_loaded():
                self.stdout.write(f"The city {CITY_CODE} is already loaded; nothing to do (--if-empty).")
                return
            if has_data():
                if not replace:
                    raise CommandError(
                        "The database already holds places, departments, categories or cases. "
                        "Use --replace to wipe them and load the demo, or --if-empty to keep them."
                    )
                self.stdout.write("Wiping places, departments, categories, cases and background accounts…")
                wipe()
            self.stdout.write(f"Loading the Wuxi demo city (seed {seed}, {cases} cases):")
            report = load_demo_city(seed=seed, cases=cases, log=self.stdout.write, scale=scale)
            # Fresh planner statistics: without them PostgreSQL takes the new tables for empty
            # and plans nested loops over thousands of rows (where autovacuum is off or slow).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"Note: {note}"))
        counts = ", ".join(f"{value:,} {name}" for name, value in report.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Loaded in {time.perf_counter() - started:.1f} s: {counts}."))
        self.stdout.write("Demo logins: manage.py demo_accounts")
