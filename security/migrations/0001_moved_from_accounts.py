"""The security models move here from accounts, with their rows: the state is taken over as it stands (the tables,
still named accounts_*, are not touched), content types and their permissions follow the models."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["securityevent", "knowndevice"]


def move_content_types(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    content_types.filter(app_label="accounts", model__in=MOVED).update(app_label="security")


def move_content_types_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    content_types.filter(app_label="security", model__in=MOVED).update(app_label="accounts")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0005_user_language"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='KnownDevice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('digest', models.CharField(max_length=64)),
                        ('first_seen_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('last_seen_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='known_devices', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_knowndevice',
                        'verbose_name': 'known device',
                        'verbose_name_plural': 'known devices',
                        'constraints': [models.UniqueConstraint(fields=('user', 'digest'), name='accounts_known_device_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='SecurityEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('signed_in', 'Signed in'), ('signed_in_password', 'Signed in with your password'), ('signed_in_code', 'Signed in with an emailed code'), ('signed_in_passkey', 'Signed in with a passkey'), ('signed_in_two_factor', 'Signed in with two-factor authentication'), ('sign_in_failed', 'Failed sign-in: wrong password'), ('sign_in_code_rejected', 'Failed sign-in: wrong emailed code'), ('two_factor_failed', 'Wrong two-factor code'), ('reauthentication_failed', 'Wrong password when confirming it was you'), ('signed_out', 'Signed out'), ('sessions_ended', 'Signed out of other sessions'), ('password_changed', 'Password changed'), ('password_set', 'Password set'), ('password_reset', 'Password reset'), ('email_added', 'Email address added'), ('email_removed', 'Email address removed'), ('email_verified', 'Email address verified'), ('email_made_primary', 'Primary email address changed'), ('two_factor_enabled', 'Two-factor authentication turned on'), ('two_factor_disabled', 'Two-factor authentication turned off'), ('recovery_codes_generated', 'New recovery codes generated'), ('passkey_added', 'Passkey added'), ('passkey_removed', 'Passkey removed'), ('security_key_added', 'Security key added'), ('security_key_removed', 'Security key removed'), ('deletion_scheduled', 'Account deletion scheduled'), ('deletion_cancelled', 'Account deletion cancelled')], max_length=32)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                        ('browser', models.CharField(blank=True, max_length=100)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='security_events', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_securityevent',
                        'verbose_name': 'security event',
                        'verbose_name_plural': 'security events',
                        'indexes': [models.Index(fields=['user', '-created_at'], name='accounts_event_user_time'), models.Index(fields=['created_at'], name='accounts_event_time')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
