"""RiskScore (from geo) and PatrolTask (from grids) join the risk app (issue 12).

The tables keep their names and rows: only Django's state moves here, and the old apps'
next migrations drop the models from their state alone. The content types are renamed, not
recreated, so the permissions, admin log entries and guardian rows that point at them
follow the models. Audit rows keep the label they were written with (they are hashed and
append-only)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = [("geo", "riskscore"), ("grids", "patroltask")]


def rename_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model in MOVED:
        # A content type already under risk (post_migrate ran with a half-applied state)
        # keeps its rows; the old one is then stale and left to remove_stale_contenttypes.
        if not ContentType.objects.filter(app_label="risk", model=model).exists():
            ContentType.objects.filter(app_label=old_app, model=model).update(app_label="risk")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model in MOVED:
        if not ContentType.objects.filter(app_label=old_app, model=model).exists():
            ContentType.objects.filter(app_label="risk", model=model).update(app_label=old_app)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('geo', '0001_initial'),
        ('grids', '0003_patrol_task'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RiskScore',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('horizon_start', models.DateField(verbose_name='horizon start')),
                        ('horizon_days', models.PositiveSmallIntegerField(verbose_name='horizon (days)')),
                        ('model', models.CharField(max_length=40, verbose_name='model')),
                        ('score', models.FloatField(verbose_name='score')),
                        ('level', models.CharField(choices=[('red', 'Level I (red)'), ('orange', 'Level II (orange)'), ('yellow', 'Level III (yellow)'), ('blue', 'Level IV (blue)')], max_length=8, verbose_name='level')),
                        ('factors', models.JSONField(default=list, verbose_name='top factors')),
                        ('computed_at', models.DateTimeField(auto_now=True, verbose_name='computed at')),
                        ('cell', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='risk_scores', to='grids.gridcell', verbose_name='grid cell')),
                    ],
                    options={
                        'db_table': 'geo_riskscore',
                        'verbose_name': 'risk score',
                        'verbose_name_plural': 'risk scores',
                        'indexes': [models.Index(fields=['horizon_start', 'model'], name='geo_risksco_horizon_9f1d05_idx')],
                        'constraints': [models.UniqueConstraint(fields=('cell', 'horizon_start', 'model'), name='risk_score_unique_per_run')],
                    },
                ),
                migrations.CreateModel(
                    name='PatrolTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('patrol', 'Patrol'), ('risk_warning', 'Risk warning patrol')], default='patrol', max_length=16, verbose_name='kind')),
                        ('title', models.CharField(blank=True, max_length=200, verbose_name='title')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('due_date', models.DateField(verbose_name='due date')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done')], default='open', max_length=8, verbose_name='status')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                        ('done_note', models.TextField(blank=True, verbose_name='what was found')),
                        ('horizon_start', models.DateField(blank=True, null=True, verbose_name='horizon start')),
                        ('risk_level', models.CharField(blank=True, max_length=8, verbose_name='risk level')),
                        ('risk_score', models.FloatField(blank=True, null=True, verbose_name='risk score')),
                        ('cell', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='grids.gridcell', verbose_name='grid cell')),
                        ('done_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='done by')),
                    ],
                    options={
                        'db_table': 'grids_patroltask',
                        'verbose_name': 'patrol task',
                        'verbose_name_plural': 'patrol tasks',
                        'ordering': ['due_date', 'pk'],
                        'indexes': [models.Index(fields=['cell', 'status', 'due_date'], name='grids_patro_cell_id_a3f4f8_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('kind', 'risk_warning')), fields=('cell', 'horizon_start'), name='patrol_task_one_warning_per_horizon'), models.CheckConstraint(condition=models.Q(models.Q(('done_at__isnull', True), ('status', 'open')), models.Q(('done_at__isnull', False), ('status', 'done')), _connector='OR'), name='patrol_task_done_has_time')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, restore_content_types),
    ]
