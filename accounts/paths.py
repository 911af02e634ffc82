"""Paths the middleware compares every request with."""

from django.urls import get_resolver


def path_info_of(name: str) -> str:
    """The path of the URL named ``name`` as ``request.path_info`` has it (without the script's prefix): what a
    middleware compares every request's path with, reversed once when it is made rather than on every request."""
    return "/" + get_resolver().reverse(name)
