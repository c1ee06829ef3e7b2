"""RoleAssignment now lives in the access app (access 0001 took over its table); drop it
from this app's state only, so the table and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0013_reporter_contact'),
        ('access', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='RoleAssignment')],
            database_operations=[],
        ),
    ]
