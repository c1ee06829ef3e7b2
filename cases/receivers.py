"""Signal handlers: assignments edited anywhere (admin, shell, fixtures) move the person in
or out of their scope groups at once (cases.scopes)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cases.models import RoleAssignment
from cases.scopes import sync_user_scopes
from grids.models import GridAssignment


@receiver(post_save, sender=RoleAssignment)
@receiver(post_delete, sender=RoleAssignment)
def role_assignment_changed(sender: Any, instance: RoleAssignment, **kwargs: Any) -> None:
    _sync(instance.user_id)


@receiver(post_save, sender=GridAssignment)
@receiver(post_delete, sender=GridAssignment)
def grid_assignment_changed(sender: Any, instance: GridAssignment, **kwargs: Any) -> None:
    _sync(instance.worker_id)


def _sync(user_id: int) -> None:
    # A user deleted with their assignments (CASCADE) has nothing left to sync.
    from django.contrib.auth import get_user_model

    if get_user_model().objects.filter(pk=user_id).exists():
        with transaction.atomic():
            sync_user_scopes(user_id)
