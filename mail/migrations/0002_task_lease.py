"""The worker's lease on each task it runs (mail.worker): who holds it, until when, and how many workers died
running it. Tasks already RUNNING have none: the worker counts them as expired once they have run a lease length."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('django_tasks_database', '0021_conditional_partial_index_ordering'),
        ('mail', '0001_sealed_mime_outbox'),
    ]

    operations = [
        migrations.CreateModel(
            name='TaskLease',
            fields=[
                ('task', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='lease', serialize=False, to='django_tasks_database.dbtaskresult')),
                ('worker_id', models.CharField(blank=True, max_length=64)),
                ('expires_at', models.DateTimeField(blank=True, null=True)),
                ('interruptions', models.PositiveIntegerField(default=0)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('worker_id', ''), ('expires_at__isnull', True)), models.Q(models.Q(('worker_id', ''), _negated=True), ('expires_at__isnull', False)), _connector='OR'), name='mail_tasklease_held_by_a_worker_until_a_time')],
            },
        ),
    ]
