from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="enrollment",
            index=models.Index(
                condition=models.Q(("state__in", ["active", "waiting"])),
                fields=["flow", "wake_at"],
                name="enrollment_flow_due_idx",
            ),
        ),
    ]
