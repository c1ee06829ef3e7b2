"""The Celery app and the beat schedule of every periodic job."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Deadlines are checked every quarter hour; both jobs are idempotent.
    "cases-escalate-overdue": {"task": "cases.tasks.escalate_overdue_task", "schedule": crontab(minute="*/15")},
    "cases-warn-near-deadline": {"task": "cases.tasks.warn_near_deadline_task", "schedule": crontab(minute="*/15")},
    # Scores the horizon starting today from cases up to midnight; 02:30 is after the day closes.
    "risk-score-all-cells": {
        "task": "risk.tasks.risk_score_all_cells_task",
        "schedule": crontab(hour=2, minute=30),
    },
}
