"""What a person reads on a rendered form: the error shown next to a field."""

import html
import re


def field_error(page: str, field: str) -> str:
    """The error text shown next to ``field`` (crispy renders it right under the input), as read."""
    found = re.findall(rf'<span id="error_\d+_id_{field}"[^>]*>(.*?)</span>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in found)
