"""The mail app.

Owns: rendering an email once, in the recipient's language (``mail.messages``); the outbox, which queues it in the
caller's transaction, encrypted at rest (``mail.outbox``); delivery over SMTP with the permanent/transient split
(``mail.delivery``, ``mail.tasks``); and the task worker that runs every queued task, holding each by a lease it
renews while it lives (``mail.worker``, ``mail.models.TaskLease``, ``manage.py task_worker``).

May import: Django, django-tasks and django-tasks-db. Nothing of the site's own: it knows nothing of people, so the
apps above it (security, accounts, profiles) hand it an address, a language and a context.
"""

from django.apps import AppConfig


class MailConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mail"
