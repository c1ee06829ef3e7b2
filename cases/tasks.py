"""Celery tasks for the case workflow: thin, they call the services and own only retries."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from cases.services import cases_escalate_overdue, cases_warn_near_deadline, notify_next_actors


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def escalate_overdue_task() -> int:
    return cases_escalate_overdue()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def warn_near_deadline_task() -> int:
    return cases_warn_near_deadline()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def notify_next_actors_task(event_id: int) -> int:
    return notify_next_actors(event_id=event_id)
