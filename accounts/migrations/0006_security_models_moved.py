"""The security activity and known browsers now belong to the security app (security.0001 takes them over): here they
leave accounts' state only; their tables and rows stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_language"),
        ("security", "0001_moved_from_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="SecurityEvent"),
                migrations.DeleteModel(name="KnownDevice"),
            ],
        ),
    ]
