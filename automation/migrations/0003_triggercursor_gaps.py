from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0002_enrollment_flow_due_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="triggercursor",
            name="gaps",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
