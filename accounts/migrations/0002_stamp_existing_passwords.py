"""Existing accounts get a full PASSWORD_MAX_AGE_DAYS from the day this is deployed, instead
of an expiry counted from `date_joined` that would send everyone to the change page at once.
Accounts that can sign in with a password only (unusable passwords start with "!")."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def stamp(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    PasswordState = apps.get_model("accounts", "PasswordState")
    now = timezone.now()
    users = User.objects.exclude(password__startswith="!").filter(password_state__isnull=True)
    PasswordState.objects.bulk_create(
        (PasswordState(user_id=pk, changed_at=now, must_change=False) for pk in users.values_list("pk", flat=True).iterator()),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(stamp, migrations.RunPython.noop)]
