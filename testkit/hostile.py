"""What a hostile visitor types into forms, and raw form bodies that carry it byte for byte.

Values are text or raw bytes: a ``str`` is sent as UTF-8 (lone surrogates encoded as they are, which is invalid
UTF-8), ``bytes`` go into the body unchanged, so a body can hold what no browser would send.
"""

import urllib.parse

# A valid address by Django's rules (a 64-character local part, labels of at most 63), 301 characters long.
LONG_ADDRESS = "l" * 64 + "@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 40 + ".com"
# Another one with the same first 254 characters: cut to the column's width, the two would be one.
OTHER_LONG_ADDRESS = LONG_ADDRESS[:280] + "e" + LONG_ADDRESS[281:]

HOSTILE_VALUES: list[str | bytes] = [
    # Lengths and emptiness
    "",
    " \t\r\n ",
    "a" * 100_000,
    LONG_ADDRESS,
    OTHER_LONG_ADDRESS,
    "x" * 64 + "@" + "y" * 300 + ".com",
    # Bytes and code points that are not text
    "\x00",
    "ada\x00@example.com",
    "\ud800",
    "ada@exa\udfffmple.com",
    b"\xff\xfe\xfd",
    b"\xc0\xaf\xc0\xae",
    b"ada@\xe9xample.com",
    b"\xed\xa0\x80@example.com",
    # Control characters, terminal escapes, header injection
    "\x1b[31mred\x1b[0m@example.com",
    "ada@example.com\r\nBcc: victim@example.com",
    "\x07\x08\x0b\x0c\x7f",
    # Bidirectional overrides and invisible characters
    "\u202eada@example.com",
    "ada@exa\u202emple.com",
    "ada\u200b@example.com",
    "\ufeffada@example.com",
    # Odd Unicode: compatibility forms, ligatures that expand, combining marks, astral planes
    "ａｄａ@ｅｘａｍｐｌｅ.ｃｏｍ",
    "ａｄａ＠example.com",
    "\ufdfa" * 1000,
    "ada@\ufdfa.com",
    "ﬀ@example.com",
    "Ⅸ@example.com",
    "ß@straße.de",
    "İ@example.com",
    "a\u0301\u0301\u0301\u0301\u0301@example.com",
    "\U0001f600@\U0001f600.com",
    "ada@ex\u00adample.com",
    # Many @, quotes, comments, brackets
    "@",
    "@@@@",
    "ada@@example.com",
    "a@b@c@d@example.com",
    "@" * 1000,
    '"ada"@example.com',
    '"a@b"@example.com',
    '"a\\"b"@example.com',
    "ada(comment)@example.com",
    "Ada <ada@example.com>",
    "ada@[127.0.0.1]",
    "ada@[IPv6:::1]",
    # IDN garbage
    "ada@xn--zz.com",
    "ada@xn--.com",
    "ada@xn--" + "a" * 70 + ".com",
    "ada@-example.com",
    "ada@example..com",
    "ada@.",
    "ada@localhost",
    "ada@" + "é" * 300 + ".com",
    # Markup, JSON, SQL, templates, format strings
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>@example.com",
    '{"$gt": ""}',
    "[]",
    "' OR '1'='1",
    "ada@example.com'; DROP TABLE accounts_user;--",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "%s%s%s%n",
    "${jndi:ldap://127.0.0.1/a}",
    "../../../../etc/passwd",
    "NaN",
    "-1",
    "9" * 400,
]


def as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def form_body(fields: dict[str, str | bytes]) -> bytes:
    """An ``application/x-www-form-urlencoded`` body with each value's bytes exactly as given."""
    return "&".join(
        f"{urllib.parse.quote_from_bytes(as_bytes(name))}={urllib.parse.quote_from_bytes(as_bytes(value))}"
        for name, value in fields.items()
    ).encode("ascii")
