"""PatrolTask now lives in the risk app (risk 0001 took over its table); drop it from this
app's state only, so the table and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0003_patrol_task'),
        ('risk', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='PatrolTask')],
            database_operations=[],
        ),
    ]
