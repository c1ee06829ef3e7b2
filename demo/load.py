"""The whole demo load: plan and places, departments and categories, people, a year of cases;
and the checks and the wipe around it that `manage.py load_demo_city` offers."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from cases import services
from cases.models import Case, Category, Department
from demo.history import write_cases
from demo.people import BACKGROUND_PREFIX, write_accounts
from demo.places import CITY_CODE, DATA_DIR, plan_city, read_boundaries, write_places
from demo.taxonomy import DEPARTMENTS, write_taxonomy
from grids.models import Area, GridCell


@dataclass
class LoadReport:
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def city_loaded() -> bool:
    return Area.objects.filter(code=CITY_CODE).exists()


def has_data() -> bool:
    """Anything a load would collide with: places, departments, categories or cases."""
    return any(m.objects.exists() for m in (Area, GridCell, Department, Category, Case))


def wipe() -> None:
    """Deletes every place, department, category and case, whatever hangs off them (timeline,
    attachments, assignments, risk scores) and the background accounts. TRUNCATE … CASCADE:
    the ORM collector would first load every row of a benchmark-sized case table. Named
    demo accounts stay (a developer's own `admin` among them) and are updated by the load."""
    tables = [m._meta.db_table for m in (Case, GridCell, Area, Category, Department)]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
    get_user_model().objects.filter(username__startswith=BACKGROUND_PREFIX).delete()


def load_demo_city(
    *, seed: int = 1, cases: int = 400, now: dt.datetime | None = None, log: Callable[[str], object] = print,
    directory: Path = DATA_DIR, scale: float = 1.0,
) -> LoadReport:
    """Plans and writes the whole demo. The caller owns the transaction (the command wraps
    the load in one, so a failure leaves nothing behind). Geometry, people and cases draw
    from separate random streams of `seed`, so asking for more cases keeps the same map."""
    report = LoadReport()
    now = now or timezone.now()
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        report.timings[name] = time.perf_counter() - clock
        log(f"  {name}: {report.timings[name]:.1f} s")
        clock = time.perf_counter()

    plan = plan_city(read_boundaries(directory), seed=seed, scale=scale)
    lap("plan geometry")
    areas, cells = write_places(plan)
    lap("write areas and cells")
    units, leaves = write_taxonomy(areas)
    people = write_accounts(areas=areas, cells=cells, units=units, rng=np.random.default_rng([seed, 1]), report=report)
    lap("departments, categories, accounts")
    # A year of history is imported, not lived: nobody is notified of it.
    with services.notifications_muted():
        write_cases(n=cases, plan=plan, cells=cells, units=units, leaves=leaves, people=people,
                    rng=np.random.default_rng([seed, 2]), now=now, report=report)
    lap(f"{report.counts['cases']} cases through the services")
    level_count = {level: sum(1 for a in areas.values() if a.level == level) for level in Area.Level}
    report.counts = {
        "districts": level_count[Area.Level.DISTRICT],
        "streets and towns": level_count[Area.Level.STREET],
        "communities and villages": level_count[Area.Level.COMMUNITY],
        "grid cells": len(cells),
        "departments": len(DEPARTMENTS),
        "department units": len(units),
        "categories": len(leaves),
        "named accounts": len(people.users),
        "background accounts": report.counts["background accounts"],
        "cases": report.counts["cases"],
    }
    return report
