"""A person's time zone, its whole life: guessed from the browser at sign-up, chosen on the profile, active on every
page they see signed in, and the zone of every time in an email to them.

A zone is an IANA name (``zoneinfo``: "Europe/Berlin"). An account without one, a guess the browser did not make or
that names no zone this machine knows, and every visitor: UTC (``settings.TIME_ZONE``).
"""

import zoneinfo
from collections.abc import Callable
from datetime import datetime
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

DEFAULT = "UTC"

# The regions of the IANA database a person lives in, in the order the select lists them. The others (Etc/GMT+5,
# US/Eastern, EST5EDT…) are aliases or fixed offsets kept for old systems: nobody looks for their home there.
REGIONS = {
    "Europe": pgettext_lazy("time zone region", "Europe"),
    "America": pgettext_lazy("time zone region", "America"),
    "Asia": pgettext_lazy("time zone region", "Asia"),
    "Africa": pgettext_lazy("time zone region", "Africa"),
    "Australia": pgettext_lazy("time zone region", "Australia"),
    "Pacific": pgettext_lazy("time zone region", "Pacific"),
    "Atlantic": pgettext_lazy("time zone region", "Atlantic"),
    "Indian": pgettext_lazy("time zone region", "Indian Ocean"),
    "Antarctica": pgettext_lazy("time zone region", "Antarctica"),
    "Arctic": pgettext_lazy("time zone region", "Arctic"),
}


@cache
def known_zones() -> frozenset[str]:
    """Every zone a person can have: the regions' zones this machine knows, and UTC."""
    return frozenset(
        name for name in zoneinfo.available_timezones() if name.partition("/")[0] in REGIONS and "/" in name
    ) | {DEFAULT}


def supported_time_zone(name: object) -> str:
    """``name`` if it is a zone a person can have, else UTC: a browser's guess is never an error."""
    return name if isinstance(name, str) and name in known_zones() else DEFAULT


def validate_time_zone(name: str) -> None:
    """A model's and a form's check: the name of a zone a person can have."""
    if name not in known_zones():
        raise ValidationError(gettext("Choose a time zone from the list."), code="invalid_time_zone")


def utc_offset(name: str, *, now: datetime | None = None) -> str:
    """The zone's offset from UTC right now (summer time included): "UTC+01:00", "UTC−03:30", "UTC"."""
    offset = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "\N{MINUS SIGN}"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def place_name(name: str) -> str:
    """The place part of a zone's name, as a person reads it: "America/Argentina/Buenos_Aires" → "Argentina, Buenos
    Aires"."""
    return ", ".join(part.replace("_", " ") for part in name.split("/")[1:])


def time_zone_choices(*, now: datetime | None = None) -> list[tuple[str, object]]:
    """The select's choices: UTC, then each region's zones (a group per region), each with its current offset:
    "Berlin (UTC+01:00)". Read per form: offsets change with summer time, names with the language."""
    by_region: dict[str, list[str]] = {}
    for name in known_zones() - {DEFAULT}:
        by_region.setdefault(name.partition("/")[0], []).append(name)
    choices: list[tuple[str, object]] = [(DEFAULT, "UTC")]
    for region, label in REGIONS.items():
        names = sorted(by_region.get(region, []), key=place_name)
        if names:
            choices.append(
                (str(label), [(name, f"{place_name(name)} ({utc_offset(name, now=now)})") for name in names])
            )
    return choices


class AccountTimeZoneMiddleware:
    """Show a signed-in person's times in their saved time zone (every page, the `date` filter's local time); UTC for
    everyone else.

    It costs no query, as AccountLanguageMiddleware does not: without a session cookie nobody is signed in (the user is
    never loaded), and with one every page loads the user anyway, of which the zone is a column. Listed after
    AuthenticationMiddleware (it reads the user).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        timezone.deactivate()  # a thread serves many people: nobody's zone carries over to the next request
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.path != reverse("healthz"):
            name = getattr(request.user, "time_zone", "")
            if name and name != DEFAULT and name in known_zones():
                timezone.activate(zoneinfo.ZoneInfo(name))
        return self.get_response(request)
