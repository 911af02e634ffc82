"""The task queue in the admin, for operators: what ran, when, how it ended; never what a task carried.

django-tasks-db's own admin shows each task's arguments, and a queued email's are its message: a reset link or a
log-in code would be one click away for every member of staff. This admin shows the same rows without them.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

# What a task row carries for the task itself (arguments, return value): none of it is shown.
CARRIED = ("args_kwargs", "return_value")

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name not in CARRIED]
