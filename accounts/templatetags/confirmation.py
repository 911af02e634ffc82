"""allauth's "confirm it's you" pages in the site's words: what the confirmation is for, read from the page it leads to
(allauth keeps it as ``next``), so that the heading says so ("Confirm it's you to export your data", not "Confirm
access"); and each way to confirm called what the account has (a passkey is a passkey, a recovery code no app)."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

from allauth.mfa.models import Authenticator
from django import template
from django.urls import Resolver404, resolve
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from security.templatetags.keys import is_passkey

register = template.Library()

ANY = _("Confirm it's you")
# By the name of the page the person is going to.
PURPOSES: dict[str, Promise] = {
    "account_export": _("Confirm it's you to export your data"),
    "account_export_started": _("Confirm it's you to export your data"),
    "account_delete": _("Confirm it's you to delete your account"),
    "account_deletion_scheduled": _("Confirm it's you to delete your account"),
    "account_email": _("Confirm it's you to change your email address"),
    "mfa_activate_totp": _("Confirm it's you to turn on two-factor authentication"),
    "mfa_deactivate_totp": _("Confirm it's you to turn off two-factor authentication"),
    "mfa_view_recovery_codes": _("Confirm it's you to see your recovery codes"),
    "mfa_download_recovery_codes": _("Confirm it's you to download your recovery codes"),
    "mfa_generate_recovery_codes": _("Confirm it's you to make new recovery codes"),
}
# A key's pages, by its kind: a passkey is a passkey, a security key a security key.
KEY_PURPOSES: dict[str, tuple[Promise, Promise]] = {
    "mfa_add_webauthn": (_("Confirm it's you to add a passkey"), _("Confirm it's you to add a security key")),
    "mfa_edit_webauthn": (_("Confirm it's you to rename a passkey"), _("Confirm it's you to rename a security key")),
    "mfa_remove_webauthn": (_("Confirm it's you to remove a passkey"), _("Confirm it's you to remove a security key")),
}


@register.simple_tag(takes_context=True)
def confirmation_purpose(context: dict[str, Any]) -> str:
    """``{% confirmation_purpose as purpose %}``: the heading for where ``next`` leads; "Confirm it's you" otherwise."""
    next_url = urlsplit(context.get("redirect_field_value") or "")
    try:
        match = resolve(next_url.path)
    except Resolver404:
        return str(ANY)
    if match.url_name in KEY_PURPOSES:
        passkey, security_key = KEY_PURPOSES[match.url_name]
        return str(passkey if is_passkey_page(context, match.kwargs, next_url.query) else security_key)
    return str(PURPOSES.get(match.url_name or "", ANY))


def is_passkey_page(context: dict[str, Any], kwargs: dict[str, Any], query: str) -> bool:
    """Adding is a passkey unless it asks for a security key (``?type=security-key``); a key's own pages ask the key."""
    if "pk" not in kwargs:
        return parse_qs(query).get("type") != ["security-key"]
    request = context["request"]
    key = Authenticator.objects.filter(pk=kwargs["pk"], user_id=request.user.pk, type=Authenticator.Type.WEBAUTHN)
    return any(is_passkey(found) for found in key)


@register.simple_tag(takes_context=True)
def confirmation_alternatives(context: dict[str, Any]) -> list[dict[str, Any]]:
    """``{% confirmation_alternatives as alternatives %}``: allauth's other ways to confirm, in the site's words."""
    alternatives = context.get("reauthentication_alternatives") or []
    if not alternatives:
        return []
    kinds = set(kinds_of_authenticators(context["request"].user))
    if "totp" in kinds:
        code = _("Use your authenticator app or a recovery code")
    else:
        code = _("Use a recovery code")
    labels = {
        "reauthenticate": _("Use your password"),
        "mfa_reauthenticate": code,
        "mfa_reauthenticate:webauthn": key_label(kinds),
    }
    return [
        {**alternative, "description": labels.get(alternative["id"], alternative["description"])}
        for alternative in alternatives
    ]


@register.simple_tag(takes_context=True)
def use_your_key(context: dict[str, Any]) -> str:
    """``{% use_your_key %}``: "Use a passkey", "Use a security key", or both, by the keys the account has."""
    return str(key_label(set(kinds_of_authenticators(context["request"].user))))


def kinds_of_authenticators(user: Any) -> list[str]:
    """The kinds of the person's authenticators: "totp", "recovery_codes", "passkey", "security_key"."""
    kinds = []
    for found in Authenticator.objects.filter(user_id=user.pk):
        if found.type == Authenticator.Type.WEBAUTHN:
            kinds.append("passkey" if is_passkey(found) else "security_key")
        else:
            kinds.append(str(found.type))
    return kinds


def key_label(kinds: set[str]) -> Promise:
    if {"passkey", "security_key"} <= kinds:
        return _("Use a passkey or security key")
    if "passkey" in kinds:
        return _("Use a passkey")
    return _("Use a security key")
