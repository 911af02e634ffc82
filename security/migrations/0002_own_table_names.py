"""The moved tables, indexes and constraint take the security app's names, rows and all."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0001_moved_from_accounts"),
        ("accounts", "0006_security_models_moved"),
    ]

    operations = [
        migrations.AlterModelTable(name="securityevent", table=None),
        migrations.AlterModelTable(name="knowndevice", table=None),
        migrations.RenameIndex(
            model_name="securityevent", new_name="security_event_user_time", old_name="accounts_event_user_time"
        ),
        migrations.RenameIndex(model_name="securityevent", new_name="security_event_time", old_name="accounts_event_time"),
        migrations.RemoveConstraint(model_name="knowndevice", name="accounts_known_device_unique"),
        migrations.AddConstraint(
            model_name="knowndevice",
            constraint=models.UniqueConstraint(fields=("user", "digest"), name="security_known_device_unique"),
        ),
    ]
