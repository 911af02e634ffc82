"""Template filters for pages that name a browser: the name in the reader's language, never a header's text."""

from django import template

from security import browsers

register = template.Library()


@register.filter
def browser_name(user_agent: str) -> str:
    """``{{ session.user_agent|browser_name }}`` (a stored User-Agent): "Firefox on Linux", "Firefox auf Linux"."""
    return browsers.translated_browser_name(browsers.name_of_user_agent(user_agent or ""))


@register.filter
def translated_browser(name: str) -> str:
    """``{{ event.browser|translated_browser }}`` (a stored name, security/browsers.py): in the reader's language."""
    return browsers.translated_browser_name(name or browsers.UNKNOWN_BROWSER)
