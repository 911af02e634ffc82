"""Who is at the other end of a request, as far as it can tell: the client's IP address behind the trusted proxies,
and what the address says about the place. (Its browser's name: security/browsers.py.)"""

import ipaddress
from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

# The networks that cannot be a place on the Internet. (ipaddress's is_private also counts the documentation
# ranges, which are public addresses for this purpose.)
PRIVATE_NETWORKS = [
    ipaddress.ip_network(network)
    for network in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT
        "169.254.0.0/16",  # link-local
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
    )
]


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as allauth's rate limits see it (``DJANGO_TRUSTED_PROXY_COUNT``), or None."""
    try:
        return get_adapter().get_client_ip(request)
    except PermissionDenied:  # no usable address at all (a request made up in a test or a shell)
        return None


def describe_place(ip: str | None) -> "StrOrPromise":
    """What the address says about where a request came from, without a location database; lazy, so that an email
    renders it in its recipient's language."""
    if not ip:
        return gettext_lazy("an unknown address")
    address = ipaddress.ip_address(ip)
    if address.is_loopback:
        return format_lazy(gettext_lazy("IP address {ip} (the server's own machine)"), ip=ip)
    if any(address in network for network in PRIVATE_NETWORKS if network.version == address.version):
        return format_lazy(gettext_lazy("IP address {ip} (a private network, such as a home or office network)"), ip=ip)
    return format_lazy(gettext_lazy("IP address {ip}"), ip=ip)
