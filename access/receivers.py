"""Signal handlers: assignments edited anywhere (admin, shell, fixtures) move the person in
or out of their scope groups at once (access.scopes)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from access.models import RoleAssignment
from access.scopes import sync_user_scopes
from grids.models import GridAssignment


@receiver(post_save, sender=RoleAssignment)
@receiver(post_delete, sender=RoleAssignment)
def role_assignment_changed(sender: Any, instance: RoleAssignment, **kwargs: Any) -> None:
    sync_user_scopes(instance.user_id)


@receiver(post_save, sender=GridAssignment)
@receiver(post_delete, sender=GridAssignment)
def grid_assignment_changed(sender: Any, instance: GridAssignment, **kwargs: Any) -> None:
    sync_user_scopes(instance.worker_id)
