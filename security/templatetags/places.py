"""Template filter for pages that show where a request came from: what the address says about the place."""

from django import template

from security.clients import describe_place

register = template.Library()


@register.filter
def place(ip: str | None) -> str:
    """``{{ event.ip|place }}``: "IP address 203.0.113.7", "IP address 127.0.0.1 (the server's own machine)"."""
    return str(describe_place(ip))
