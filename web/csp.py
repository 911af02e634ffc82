"""The Content-Security-Policy header: django-csp's middleware, with the policy built once per process."""

from functools import cache
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

# What a view sets on its response through django-csp's decorators (csp_update, csp_replace, csp, csp_exempt).
PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
PER_RESPONSE_EXEMPT = ("_csp_exempt", "_csp_exempt_ro")


@cache
def policies() -> tuple[str, str]:
    """The enforced and the report-only header of the settings' policies ("" for none), built as django-csp does."""
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def forget_policies(setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        policies.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp builds the header from the settings for every response, twice (the policy and the report-only
    one): the same strings each time, unless the view asked for a nonce or changed its response's policy with a
    decorator. Such responses, and those of a policy that exempts paths, still go through django-csp's building;
    every other one gets the strings built once.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not self.has_the_settings_policy(request, response):
            return super().process_response(request, response)
        policy, report_only = policies()
        if policy and HEADER not in response:
            response[HEADER] = policy
        if report_only and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp does: a nonce asked for after the header is written could never be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    @staticmethod
    def has_the_settings_policy(request: HttpRequest, response: HttpResponseBase) -> bool:
        return not (
            settings.DEBUG  # django-csp leaves the debug pages alone
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in PER_RESPONSE)
            or any(getattr(response, name, False) for name in PER_RESPONSE_EXEMPT)
            or any(
                (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
                for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
            )
        )
