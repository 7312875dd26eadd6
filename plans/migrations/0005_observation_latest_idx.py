from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_target_progress_snapshot"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="observation",
            index=models.Index(fields=["target", "scope", "-year"], name="plans_observation_latest_idx"),
        ),
    ]
