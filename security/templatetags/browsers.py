"""Template filter for pages that show a stored User-Agent (allauth's sessions page): the browser's name, never the
header's text."""

from django import template

from security import browsers

register = template.Library()


@register.filter
def browser_name(user_agent: str) -> str:
    """``{{ session.user_agent|browser_name }}``: "Firefox on Linux", or "Unknown browser"."""
    return browsers.name_of_user_agent(user_agent or "")
