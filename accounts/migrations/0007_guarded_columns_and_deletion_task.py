"""Two changes the database does not see, and one it does.

The CV's columns and the deletion mark get field classes of their own (accounts.cv, accounts.models) that decide when
a save writes them; the columns themselves are unchanged. The scheduled-deletion task moved from accounts.tasks to
accounts.deletion: deletions already queued (READY, waiting out someone's grace period) are pointed at its new name,
so none is lost.
"""

from django.db import migrations

import accounts.cv
import accounts.models
import accounts.validators

OLD_TASK = "accounts.tasks.delete_account_when_due"
NEW_TASK = "accounts.deletion.delete_account_when_due"


def move_deletion_tasks(apps, schema_editor):
    task_results = apps.get_model("django_tasks_database", "DBTaskResult")
    task_results.objects.using(schema_editor.connection.alias).filter(task_path=OLD_TASK).update(task_path=NEW_TASK)


def move_deletion_tasks_back(apps, schema_editor):
    task_results = apps.get_model("django_tasks_database", "DBTaskResult")
    task_results.objects.using(schema_editor.connection.alias).filter(task_path=NEW_TASK).update(task_path=OLD_TASK)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_security_models_moved"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="user",
                    name="cv",
                    field=accounts.cv.CVFileField(
                        blank=True,
                        db_index=True,
                        max_length=255,
                        upload_to=accounts.cv.cv_upload_to,
                        validators=[accounts.validators.validate_cv_file],
                        verbose_name="CV",
                    ),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="cv_original_name",
                    field=accounts.cv.CVNameField(blank=True, editable=False, max_length=120, verbose_name="CV file name"),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="cv_size",
                    field=accounts.cv.CVSizeField(blank=True, editable=False, null=True, verbose_name="CV size in bytes"),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="cv_uploaded_at",
                    field=accounts.cv.CVDateField(blank=True, editable=False, null=True, verbose_name="CV uploaded at"),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="deletion_due_at",
                    field=accounts.models.WrittenByServicesOnly(
                        blank=True, editable=False, null=True, verbose_name="deletion due at"
                    ),
                ),
            ],
        ),
        migrations.RunPython(move_deletion_tasks, move_deletion_tasks_back),
    ]
