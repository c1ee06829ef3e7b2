from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        # Case numbers come from a sequence so concurrent reports never collide.
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS cases_case_number_seq",
            "DROP SEQUENCE IF EXISTS cases_case_number_seq",
        ),
    ]
