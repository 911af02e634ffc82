"""A person's time zone, its whole life: guessed from the browser at sign-up, chosen on the profile, active on every
page they see signed in, and the zone of every time in an email to them.

A zone is an IANA name (``zoneinfo``: "Europe/Berlin"). An account without one, a guess the browser did not make or
that names no zone this machine knows, and every visitor: UTC (``settings.TIME_ZONE``).
"""

import zoneinfo
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone, translation
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext_lazy

from .paths import path_info_of

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


def time_zone_choices(*, now: datetime | None = None) -> "ZoneChoices":
    """The select's choices: UTC, then each region's zones (a group per region), each with its current offset:
    "Berlin (UTC+01:00)", in the active language.

    Built once per language and quarter hour (``this_quarter_hour``), not per form: 430 zones cost 14 ms of reading
    zone files and sorting.
    """
    return choices_at(translation.get_language(), this_quarter_hour(now))


def this_quarter_hour(now: datetime | None = None) -> datetime:
    """The quarter hour ``now`` (UTC) is in, whose offsets the select shows. Today's clock changes all happen at a whole
    quarter hour in UTC (offsets are whole quarter hours, changed at a whole local hour or quarter); one that did not
    would show the old offset for less than a quarter hour."""
    now = (now or timezone.now()).astimezone(UTC)
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


@lru_cache(maxsize=16)  # the languages × this quarter hour and the last one
def choices_at(language: str, quarter: datetime) -> "ZoneChoices":
    by_region: dict[str, list[str]] = {}
    for name in known_zones() - {DEFAULT}:
        by_region.setdefault(name.partition("/")[0], []).append(name)
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    with translation.override(language):
        for region, label in REGIONS.items():
            names = sorted(by_region.get(region, []), key=place_name)
            if names:
                groups.append(
                    (str(label), [(name, f"{place_name(name)} ({utc_offset(name, now=quarter)})") for name in names])
                )
    return ZoneChoices([(DEFAULT, "UTC")], groups)


class ZoneChoices(BaseChoiceIterator):
    """The choices, as Django's fields and widgets iterate them, with each ``<option>`` already rendered (once,
    escaped) for ``TimeZoneSelect``."""

    def __init__(self, zones: list[tuple[str, str]], groups: list[tuple[str, list[tuple[str, str]]]]) -> None:
        self.choices: list[tuple[str, Any]] = [*zones, *groups]
        # The markup between <select> and </select>, split so that each option can be swapped for its selected
        # form: ``parts[position[value]]`` is the option of ``value``.
        self.parts: list[str] = []
        self.selected: dict[str, tuple[int, str]] = {}
        for value, label in zones:
            self.add_option(value, label)
        for group, options in groups:
            self.parts.append(format_html('<optgroup label="{}">', group))
            for value, label in options:
                self.add_option(value, label)
            self.parts.append("</optgroup>")

    def add_option(self, value: str, label: str) -> None:
        self.selected[value] = (len(self.parts), format_html('<option value="{}" selected>{}</option>', value, label))
        self.parts.append(format_html('<option value="{}">{}</option>', value, label))

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        yield from self.choices

    def options_html(self, value: object) -> str:
        parts = self.parts
        if isinstance(value, str) and value in self.selected:
            position, option = self.selected[value]
            parts = [*parts[:position], option, *parts[position + 1 :]]
        return "".join(parts)


class TimeZoneSelect(forms.Select):
    """Django's select, but its options joined from ``ZoneChoices``' markup: Django renders each option through a
    template, 430 of them 10 ms per page. The same markup as Django's (tests/accounts/test_time_zones.py)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        if not isinstance(self.choices, ZoneChoices):
            return super().render(name, value, attrs, renderer)
        values = self.format_value(value)  # Django's: a list of the value as a string, or empty
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe(self.choices.options_html(values[0] if values else None)),  # noqa: S308 (format_html built it)
        )


class TimeZoneField(forms.ChoiceField):
    """A required-or-not choice of a zone a person can have, in this quarter hour's and language's choices."""

    widget = TimeZoneSelect

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=time_zone_choices(), **kwargs)

    def valid_value(self, value: str) -> bool:
        return value in known_zones()


class AccountTimeZoneMiddleware:
    """Show a signed-in person's times in their saved time zone (every page, the `date` filter's local time); UTC for
    everyone else.

    It costs no query, as AccountLanguageMiddleware does not: without a session cookie nobody is signed in (the user is
    never loaded), and with one every page loads the user anyway, of which the zone is a column. Listed after
    AuthenticationMiddleware (it reads the user).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.health_check = path_info_of("healthz")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        timezone.deactivate()  # a thread serves many people: nobody's zone carries over to the next request
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.path_info != self.health_check:
            name = getattr(request.user, "time_zone", "")
            if name and name != DEFAULT and name in known_zones():
                timezone.activate(zoneinfo.ZoneInfo(name))
        return self.get_response(request)
