"""Strict parsing of the http(s) URLs that relying parties register, and of their origins.

One parser serves both sides of client metadata: the policy that accepts a URL
(idp/administration/client_policy.py) and the pages and headers that emit one (the CSP's
img-src, the links of the login and consent pages). What leaves is never the text that came
in: it is re-serialised from the parsed parts, so nothing a registrant wrote (a `;` and a CSP
directive, a quote, a line break) can reach a header or an attribute.

urllib's urlsplit parses anything (it even drops tabs and line breaks, WHATWG-style) and checks
no host; werkzeug and authlib check no more. So what RFC 3986 and RFC 1123 allow is written out
here: the URI's characters (RFC 3986 2), a host that is a DNS name of letter-digit-hyphen labels
(RFC 1123 2.1) or an IP literal (checked by `ipaddress`), an optional port, no userinfo.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

MAX_URL_LENGTH = 2048
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 3986 2: unreserved and reserved characters, and '%' only as a percent-encoding. Nothing else
# (no space, '"', '<', '>', '\', '^', '`', '{', '|', '}', control or non-ASCII character).
URI_TEXT = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A last label a browser reads as a number (WHATWG URL "ends in a number"): the host would be an IPv4
# address in disguise ("0x7f.1", "1.2.3"), so only a real dotted quad may look like one.
NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")


@dataclasses.dataclass(frozen=True)
class WebURL:
    """A parsed http(s) URL: every part checked, lower-cased where case does not matter."""

    scheme: str
    host: str  # as serialised: a DNS name, a dotted quad, or "[v6]"
    port: int | None  # only when written
    path: str
    query: str
    fragment: str

    @property
    def origin(self) -> str:
        """scheme://host[:port] (RFC 6454 6.1), the port only when it is not the scheme's default."""
        port = "" if self.port in (None, DEFAULT_PORTS[self.scheme]) else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"

    @property
    def url(self) -> str:
        """The URL written again from its parts."""
        netloc = self.host + ("" if self.port is None else f":{self.port}")
        return urlunsplit((self.scheme, netloc, self.path, self.query, self.fragment))

    @property
    def loopback(self) -> bool:
        return self.host.strip("[]") in LOOPBACK_HOSTS


def parse_web_url(text) -> WebURL:
    """`text` as an absolute http or https URL, or ValueError saying what is wrong with it (in words
    of its own: never quoting the input, which may be echoed in an OAuth error_description)."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    if len(text) > MAX_URL_LENGTH:
        raise ValueError(f"longer than {MAX_URL_LENGTH} characters")
    if not URI_TEXT.fullmatch(text):
        raise ValueError("characters a URI may not hold (RFC 3986 2)")
    parts = urlsplit(text)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("not an http or https URL")
    if not text[len(parts.scheme) + 1:].startswith("//"):
        raise ValueError("no host")
    written = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:  # urllib's message quotes the input
        raise ValueError("the port is not a number of 1 to 65535") from None
    if port == 0:
        raise ValueError("the port is not a number of 1 to 65535")
    # The authority must be exactly host[:port]: no userinfo ("https://good@evil"), no empty port.
    authority = (f"[{written}]" if ":" in written else written) + ("" if port is None else f":{port}")
    if parts.netloc.lower() != authority:
        raise ValueError("the authority must be a host and an optional port (no user information)")
    host = strict_host(written)
    return WebURL(parts.scheme, host, port, parts.path, parts.query, parts.fragment)


def strict_host(host: str) -> str:
    """The host as serialised in a URL, or ValueError: an IP address, or a DNS name (RFC 1123 2.1)."""
    if ":" in host:
        try:
            if "%" in host:  # a zone id (RFC 6874) names an interface of the machine that reads it
                raise ValueError
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise ValueError("not a valid IPv6 address") from None
    labels = host.split(".")
    if NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(host))  # a dotted quad, no octal or hexadecimal forms
        except ValueError:
            raise ValueError("not a valid IPv4 address") from None
    if len(host) > 253 or not all(LABEL.fullmatch(label) for label in labels):
        raise ValueError("not a valid host name")
    return host


def web_origin(text) -> str | None:
    """The origin of an http(s) URL, re-serialised; None when `text` is not one."""
    try:
        return parse_web_url(text).origin
    except ValueError:
        return None
