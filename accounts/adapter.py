"""allauth's account adapter: every email allauth sends goes through our task queue."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from .tasks import enqueue_email


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render as allauth does, but queue the message instead of talking to the mail server here."""
        request = allauth_context.request
        full_context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        enqueue_email(self.render_mail(template_prefix, email, full_context))
