"""Signal handlers that write the audit entries other apps do not write themselves: sign-ins,
lockouts, accounts, passwords, roles, permissions and admin edits. `connect()` runs in
AuditConfig.ready(); every connection has a dispatch_uid so running it twice is harmless.

A handler that fails raises into the action that sent the signal: a permission change whose
audit entry cannot be written is rolled back with it rather than left unrecorded.

What Django sends no signal for is not seen here: bulk_create (guardian's bulk
assign_perm, the admin's "delete selected" of several rows) and QuerySet.update() of a
user's flags (docs/security.md, "Audit trail").
"""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.http import HttpRequest

from audit.models import AuditEntry
from audit.services import Target, record

Kind = AuditEntry.Kind

# A user's row: these fields are audited when they change.
PRIVILEGE_FLAGS = ("is_superuser", "is_staff")
ACCOUNT_FLAGS = ("is_active",)
WATCHED_USER_FIELDS = frozenset((*PRIVILEGE_FLAGS, *ACCOUNT_FLAGS, "password"))

ADMIN_ACTIONS = {ADDITION: "addition", CHANGE: "change", DELETION: "deletion"}


def connect() -> None:
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    from access.models import RoleAssignment
    from grids.models import GridAssignment

    user_model = get_user_model()
    user_logged_in.connect(on_logged_in, dispatch_uid="audit.logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit.logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit.login_failed")

    pre_save.connect(remember_user_row, sender=user_model, dispatch_uid="audit.user_pre_save")
    post_save.connect(on_user_saved, sender=user_model, dispatch_uid="audit.user_saved")
    post_delete.connect(on_user_deleted, sender=user_model, dispatch_uid="audit.user_deleted")

    for model in (RoleAssignment, GridAssignment):
        uid = model._meta.label_lower
        pre_save.connect(remember_assignment, sender=model, dispatch_uid=f"audit.{uid}_pre_save")
        post_save.connect(on_assignment_saved, sender=model, dispatch_uid=f"audit.{uid}_saved")
        post_delete.connect(on_assignment_deleted, sender=model, dispatch_uid=f"audit.{uid}_deleted")

    for through in M2M_RELATIONS:
        m2m_changed.connect(on_m2m_changed, sender=through, dispatch_uid=f"audit.m2m.{through._meta.label_lower}")

    for perms_model in (get_user_obj_perms_model(), get_group_obj_perms_model()):
        uid = perms_model._meta.label_lower
        post_save.connect(on_object_permission_saved, sender=perms_model, dispatch_uid=f"audit.{uid}_saved")
        post_delete.connect(on_object_permission_deleted, sender=perms_model, dispatch_uid=f"audit.{uid}_deleted")

    post_save.connect(on_admin_log_entry, sender=LogEntry, dispatch_uid="audit.admin_log_entry")

    if apps.is_installed("axes"):
        connect_axes()


def connect_axes() -> None:
    """django-axes's lockout signal. Importing axes.signals loads axes's models, so only
    once axes is in INSTALLED_APPS."""
    from axes.signals import user_locked_out

    user_locked_out.connect(on_locked_out, dispatch_uid="audit.locked_out")


# --- sign-in -----------------------------------------------------------------------------


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(Kind.LOGIN, actor=user, request=request)


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:  # logging out when nobody was signed in is no event
        record(Kind.LOGOUT, actor=user, request=request)


def on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Only the name that was tried: Django has already masked the password in `credentials`,
    # and nothing else in them is read.
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")[:150]
    # A prober's NUL would fail both the account look-up and the JSON column (PostgreSQL).
    username = username.replace("\x00", "\ufffd")
    record(Kind.LOGIN_FAILED, target=_account(username), detail={"username": username}, request=request)


def on_locked_out(sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any) -> None:
    name = str(username or "")[:150]
    record(Kind.LOCKOUT, target=_account(name), detail={"username": name}, request=request)


def _account(username: str) -> Target:
    """The account a sign-in was attempted on; its id only if such an account exists."""
    user_model = get_user_model()
    pk = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).values_list("pk", flat=True).first()
    return Target(user_model._meta.label_lower, str(pk) if pk is not None else "", username)


# --- accounts and passwords --------------------------------------------------------------


def remember_user_row(sender: type[models.Model], instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    """Reads the stored flags and password hash before a save that may change them (not
    before `update_fields=["last_login"]`, the save every sign-in makes)."""
    instance._audit_before = None
    if raw or instance.pk is None or (update_fields is not None and not WATCHED_USER_FIELDS & set(update_fields)):
        return
    instance._audit_before = sender._default_manager.filter(pk=instance.pk).values(*WATCHED_USER_FIELDS).first()


def on_user_saved(sender: type[models.Model], instance: Any, created: bool, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if raw:
        return
    if created:
        record(Kind.ACCOUNT_CHANGE, target=instance, detail={
            "change": "created", **{flag: getattr(instance, flag) for flag in (*PRIVILEGE_FLAGS, *ACCOUNT_FLAGS)},
        })
        return
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if before is None:
        return
    privileges = _changes(before, instance, PRIVILEGE_FLAGS)
    if privileges:
        record(Kind.PERMISSION_CHANGE, target=instance, detail={"change": "flags", "fields": privileges})
    account = _changes(before, instance, ACCOUNT_FLAGS)
    if account:
        record(Kind.ACCOUNT_CHANGE, target=instance, detail={"change": "flags", "fields": account})
    # Django re-hashes a password on sign-in when the hasher's work factor went up: it saves
    # only the password with `_password` cleared. Same password, so not a change.
    rehash = getattr(instance, "_password", None) is None and update_fields is not None and set(update_fields) == {"password"}
    if before["password"] != instance.password and not rehash:
        record(Kind.PASSWORD_CHANGE, target=instance, detail={"usable": instance.has_usable_password()})


def on_user_deleted(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    record(Kind.ACCOUNT_CHANGE, target=instance, detail={"change": "deleted"})


def _changes(before: dict[str, Any], instance: Any, fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {
        name: {"from": before[name], "to": getattr(instance, name)}
        for name in fields
        if before[name] != getattr(instance, name)
    }


# --- roles: centre/department/supervisor assignments and grid workers' cells -------------


def _assignment_snapshot(instance: Any) -> dict[str, Any]:
    """Who holds what where, in codes and names an auditor can read later."""
    from access.models import RoleAssignment

    if isinstance(instance, RoleAssignment):
        return {
            "user": _username(instance, "user"),
            "role": instance.role,
            "area": instance.area.code if instance.area is not None else None,
            "unit": str(instance.unit) if instance.unit is not None else None,
        }
    return {"user": _username(instance, "worker"), "role": "grid_worker", "cell": instance.cell.code}


def _assignment_user(instance: Any) -> Target:
    from access.models import RoleAssignment

    field = "user" if isinstance(instance, RoleAssignment) else "worker"
    user_model = get_user_model()
    return Target(user_model._meta.label_lower, str(getattr(instance, f"{field}_id")), _username(instance, field))


def _username(instance: Any, field: str) -> str:
    try:
        return str(getattr(instance, field).get_username())
    except ObjectDoesNotExist:
        return ""


def remember_assignment(sender: type[models.Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    instance._audit_before = None
    if raw or instance.pk is None:
        return
    stored = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = _assignment_snapshot(stored) if stored is not None else None


def on_assignment_saved(sender: type[models.Model], instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    now = _assignment_snapshot(instance)
    if not created and before == now:
        return
    detail = {"change": "added" if created else "changed", "assignment": _label_id(instance), **now}
    if not created:
        detail["before"] = before
    record(Kind.ROLE_CHANGE, target=_assignment_user(instance), detail=detail)


def on_assignment_deleted(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    record(Kind.ROLE_CHANGE, target=_assignment_user(instance), detail={
        "change": "removed", "assignment": _label_id(instance), **_assignment_snapshot(instance),
    })


def _label_id(instance: models.Model) -> str:
    return f"{instance._meta.label_lower}:{instance.pk}"


# --- groups and permissions --------------------------------------------------------------

_user_model = get_user_model()
# The many-to-many relations that grant rights: the kind of entry and the field's name.
M2M_RELATIONS: dict[type[models.Model], tuple[AuditEntry.Kind, str]] = {
    _user_model.groups.through: (Kind.ROLE_CHANGE, "user.groups"),
    _user_model.user_permissions.through: (Kind.PERMISSION_CHANGE, "user.user_permissions"),
    Group.permissions.through: (Kind.PERMISSION_CHANGE, "group.permissions"),
}
M2M_CHANGES = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}


def on_m2m_changed(
    sender: type[models.Model], instance: models.Model, action: str, model: type[models.Model],
    pk_set: set[Any] | None, **kwargs: Any,
) -> None:
    """Either side may change the relation (user.groups.add(g) or g.user_set.add(u)): the
    entry is about `instance` and names the rows of `model` added or removed."""
    if action == "pre_clear":
        # post_clear does not say what was cleared: read it while it is still there.
        instance._audit_cleared = sorted(_related_ids(sender, instance, model))  # type: ignore[attr-defined]
        return
    if action not in M2M_CHANGES:
        return
    ids = sorted(pk_set) if pk_set is not None else instance.__dict__.pop("_audit_cleared", [])
    if not ids:
        return
    kind, field = M2M_RELATIONS[sender]
    record(kind, target=instance, detail={
        "field": field, "change": M2M_CHANGES[action], "ids": ids, "names": _names(model, ids),
    })


def _related_ids(through: type[models.Model], instance: models.Model, other: type[models.Model]) -> list[Any]:
    own = type(instance)._meta.concrete_model
    source = next(f for f in through._meta.fields if f.is_relation and f.related_model is own)
    target = next(f for f in through._meta.fields if f.is_relation and f.related_model is other and f is not source)
    return list(through._default_manager.filter(**{source.name: instance.pk}).values_list(target.attname, flat=True))


def _names(model: type[models.Model], ids: list[Any]) -> list[str]:
    if model is Permission:
        perms = Permission.objects.filter(pk__in=ids).select_related("content_type").order_by("pk")
        return [f"{p.content_type.app_label}.{p.codename}" for p in perms]
    if issubclass(model, Group):
        return list(Group.objects.filter(pk__in=ids).order_by("pk").values_list("name", flat=True))
    return [str(obj) for obj in model._default_manager.filter(pk__in=ids).order_by("pk")]


def _object_permission_detail(instance: Any, change: str) -> tuple[Target, dict[str, Any]]:
    holder = instance.user if hasattr(instance, "user_id") else instance.group
    content_type = ContentType.objects.get_for_id(instance.content_type_id)
    try:
        shown = str(content_type.get_object_for_this_type(pk=instance.object_pk))
    except (ObjectDoesNotExist, AttributeError, ValueError):
        shown = ""  # the object is gone (or its model): its type and id still say which
    permission = Permission.objects.select_related("content_type").get(pk=instance.permission_id)
    target = Target(holder._meta.label_lower, str(holder.pk), str(holder))
    return target, {
        "change": change,
        "permission": f"{permission.content_type.app_label}.{permission.codename}",
        "object_type": f"{content_type.app_label}.{content_type.model}",
        "object_id": str(instance.object_pk),
        "object": shown[:200],
    }


def on_object_permission_saved(sender: type[models.Model], instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        target, detail = _object_permission_detail(instance, "granted")
        record(Kind.PERMISSION_CHANGE, target=target, detail=detail)


def on_object_permission_deleted(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    target, detail = _object_permission_detail(instance, "revoked")
    record(Kind.PERMISSION_CHANGE, target=target, detail=detail)


# --- the admin ---------------------------------------------------------------------------


def on_admin_log_entry(sender: type[LogEntry], instance: LogEntry, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """Every admin add, change and delete, as the admin logged it: the object, the action and
    the change message (names of changed fields, not their values, in Django's untranslated
    structured form)."""
    if not created or raw:
        return
    label = ""
    if instance.content_type_id:
        content_type = ContentType.objects.get_for_id(instance.content_type_id)
        label = f"{content_type.app_label}.{content_type.model}"
    try:
        message: Any = json.loads(instance.change_message) if instance.change_message else ""
    except ValueError:
        message = instance.change_message
    record(
        Kind.ADMIN_CHANGE,
        actor=instance.user,
        target=Target(label, instance.object_id or "", instance.object_repr),
        detail={"action": ADMIN_ACTIONS.get(instance.action_flag, str(instance.action_flag)), "change_message": message},
    )
