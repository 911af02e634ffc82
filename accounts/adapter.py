"""allauth's account adapter: every email allauth sends goes through our task queue."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from .emails import send_email


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render as allauth does, then leave through the site's one way out for email (queued, not sent here)."""
        request = allauth_context.request
        site = get_current_site(request)
        site.name = settings.SITE_NAME  # allauth's emails greet with the site's name, not its host name
        full_context = {"request": request, "email": email, "current_site": site, **context}
        send_email(template_prefix, to=email, context=full_context, render=self.render_mail)
