"""Who is at the other end of a request, as far as it can tell: the client's IP address behind the trusted proxies,
and what the address says about the place. (Its browser's name: security/browsers.py.)

A request's own peer (REMOTE_ADDR) is the one address no client can write. X-Forwarded-For is believed only when that
peer is one of the proxies the operator named (``DJANGO_TRUSTED_PROXIES``), and then only as far as proxies wrote it:
each proxy appends the address it saw, so reading from the right, the first address that is not a trusted proxy is
the client; anything to its left was written by the client itself.
"""

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter
from django.conf import settings
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


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def address_behind_proxies(request: HttpRequest) -> str | None:
    """The client's address: the peer's, or, from a trusted proxy, the rightmost X-Forwarded-For address that is not a
    trusted proxy itself; None when there is none to tell."""
    peer = request.META.get("REMOTE_ADDR", "")
    client = _address(peer)
    proxies = _trusted_proxies(tuple(settings.TRUSTED_PROXIES))
    # No peer address at all is gunicorn's Unix socket: only this machine reaches it, and gunicorn believes its
    # forwarded headers unconditionally. So does the site, or the scheme and the address would disagree.
    if peer and (client is None or not _is_proxy(client, proxies)):
        return None if client is None else str(client)
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = _address(entry)
        if hop is None:
            break  # not an address, so no proxy wrote it: the chain can be followed no further than the last hop
        client = hop
        if not _is_proxy(hop, proxies):
            break
    return None if client is None else str(client)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as allauth's rate limits see it (``address_behind_proxies``), or None."""
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


@lru_cache(maxsize=8)
def _trusted_proxies(values: tuple[str, ...]) -> tuple[Network, ...]:
    # config/settings.py has checked every value (a mistake stops the start-up); parsed once per value.
    return tuple(ipaddress.ip_network(value) for value in values)


def _is_proxy(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address in network for network in proxies if network.version == address.version)


def _address(text: str) -> Address | None:
    """The address in a REMOTE_ADDR or an X-Forwarded-For entry ("203.0.113.7", "2001:db8::1", and the forms with a
    port that some proxies write: "203.0.113.7:5123", "[2001:db8::1]:5123"), or None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # gunicorn on a dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d: the same peer as a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
