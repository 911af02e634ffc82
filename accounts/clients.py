"""Who is at the other end of a request, as far as it can tell: the client's IP address behind the trusted proxies,
a readable name for its browser, and what the address says about the place."""

import ipaddress
from functools import cache
from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise
from ua_parser import BasicResolver, Cache, CachingResolver, Parser, load_lazy_builtins

BROWSER_NAME_LENGTH = 100  # SecurityEvent.browser
# Real User-Agent strings stay far below this; the parser never needs to look at more of a hostile one.
USER_AGENT_LENGTH = 500

# ua-parser names some browsers by the build they are; a person knows the browser. Unlisted names are kept.
BROWSER_NAMES = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Android WebView",
    "HeadlessChrome": "Headless Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Edge Mobile": "Edge",
}
SYSTEM_NAMES = {"Mac OS X": "macOS"}

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


@cache
def _parser() -> Parser:
    # The rules are compiled lazily, each on first use, and results cached: a parse costs microseconds after
    # the first few. Pure Python on purpose: a name per sign-in does not need the native accelerator.
    return Parser(CachingResolver(BasicResolver(load_lazy_builtins()), Cache(500)))


def browser_name(request: HttpRequest) -> str:
    """A short name a person recognises, such as "Firefox on Linux" or "Chrome on Android"; never the raw header."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH]
    if not user_agent.strip():
        return "Unknown browser"
    result = _parser().parse(user_agent)
    browser = result.user_agent.family if result.user_agent else "Other"
    system = result.os.family if result.os else "Other"
    browser = "Unknown browser" if browser == "Other" else BROWSER_NAMES.get(browser, browser)
    name = browser if system == "Other" else f"{browser} on {SYSTEM_NAMES.get(system, system)}"
    return name if len(name) <= BROWSER_NAME_LENGTH else name[: BROWSER_NAME_LENGTH - 1] + "…"


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
