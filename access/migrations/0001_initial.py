"""RoleAssignment (from cases) joins the access app (issue 12).

The table keeps its name and rows: only Django's state moves here, and cases 0014 drops the
model from its state alone. The content type is renamed, not recreated, so the permissions,
admin log entries and guardian rows that point at it follow the model. Audit rows keep the
label they were written with (they are hashed and append-only)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = [("cases", "roleassignment")]


def rename_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model in MOVED:
        # A content type already under access (post_migrate ran with a half-applied state)
        # keeps its rows; the old one is then stale and left to remove_stale_contenttypes.
        if not ContentType.objects.filter(app_label="access", model=model).exists():
            ContentType.objects.filter(app_label=old_app, model=model).update(app_label="access")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model in MOVED:
        if not ContentType.objects.filter(app_label=old_app, model=model).exists():
            ContentType.objects.filter(app_label="access", model=model).update(app_label=old_app)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('cases', '0013_reporter_contact'),
        ('grids', '0002_scope_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RoleAssignment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('centre_operator', 'Centre operator'), ('department_staff', 'Department staff'), ('supervisor', 'Supervisor')], max_length=20, verbose_name='role')),
                        ('area', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='grids.area', verbose_name='area')),
                        ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='cases.departmentunit', verbose_name='unit')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='role_assignments', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'db_table': 'cases_roleassignment',
                        'verbose_name': 'role assignment',
                        'verbose_name_plural': 'role assignments',
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('area__isnull', True), ('role', 'department_staff'), ('unit__isnull', False)), models.Q(models.Q(('role', 'department_staff'), _negated=True), ('area__isnull', False), ('unit__isnull', True)), _connector='OR'), name='role_assignment_scope')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, restore_content_types),
    ]
