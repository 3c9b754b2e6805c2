"""Helpers of the client-URL tests (issue 30.1): hostile URL strings, and what the login and
consent pages of a client must look like whatever it registered: a CSP that is exactly the fixed
policy plus normalised image origins, and no link or source with a scheme other than http(s)."""

from __future__ import annotations

import html
import re
import uuid
from urllib.parse import urlencode, urlsplit

from hypothesis import strategies as st

from ..conftest import REDIRECT_URI, Browser
from ..flows import sign_in

# The policy of every page (idp/plumbing/headers.py), the nonce aside; img-src may add origins.
FIXED_CSP = re.compile(
    r"default-src 'none'; script-src 'nonce-[A-Za-z0-9_-]+'; style-src 'self'; "
    r"img-src 'self' data:(?P<origins>(?: [^ ;]+)*); form-action \*; frame-ancestors 'none'; base-uri 'none'")
ORIGIN = re.compile(r"https?://(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")
URL_ATTRIBUTE = re.compile(r"\b(?:href|src|action)=\"([^\"]*)\"")
CLIENT_LINK = re.compile(r"<a href=\"([^\"]*)\"[^>]*data-link=")
LOGO = re.compile(r"<img class=\"client-logo\" src=\"([^\"]*)\"")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
# What a strict URL's scheme://authority may hold, checked without the parser under test.
STRICT_AUTHORITY = re.compile(r"(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")

SCHEMES = st.sampled_from(["https://", "http://", "HTTPS://", "javascript:", "JaVaScRiPt:", "data:text/html,",
                           "vbscript:", "https:", "//", "", " https://", "https:\\\\", "java\tscript:", "https:/"])
HOSTS = st.one_of(
    st.sampled_from(["rp.example", "RP.Example", "127.0.0.1", "[::1]", "localhost", "rp.example:8443",
                     "good.example@evil.example", "0x7f.1", "1.2.3", "xn--bcher-kva.example", "bücher.example",
                     "rp.example.", "[fe80::1%25eth0]", "rp_example.test", "rp.example:0", "rp.example:", ""]),
    st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,6}){0,2}", fullmatch=True))
PIECES = st.one_of(
    st.sampled_from([";", "; script-src-elem 'unsafe-inline'", ";frame-ancestors *", "; img-src *",
                     ";report-uri https://evil.example", "'", '"', " ", "\r\n", "\n", "\t", "\x00", "<", ">", "`",
                     "\\", "%0d%0a", "%", "#x", "?q=1&r=2", "/path", "/", ":443", "@evil.example",
                     "javascript:alert(1)", "\u2028", "\u202e", "é", "\ufeff", ",", "*", "<script>alert(1)</script>"]),
    st.text(max_size=3))
HOSTILE_URLS = st.builds(lambda scheme, host, pieces: scheme + host + "".join(pieces), SCHEMES, HOSTS,
                         st.lists(PIECES, max_size=4))


def is_strict(value: str) -> bool:
    """An oracle for what may be accepted: an ASCII absolute URL without whitespace, quotes or angle
    brackets, whose authority is a plain host[:port], https or loopback http."""
    if not value.isascii() or re.search(r"[\s\"<>`\\^{}|\x00-\x1f\x7f]", value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme in ("https", "http") and value[len(parts.scheme):].startswith("://")
                and STRICT_AUTHORITY.fullmatch(parts.netloc.lower())
                and (parts.scheme == "https" or parts.hostname in LOOPBACK))


def metadata_with(field: str, value: str, **extra) -> dict:
    """Registrable metadata (a redirect URI the pages can use) with `value` in `field`."""
    data = {"client_name": "Hostile RP", "redirect_uris": [REDIRECT_URI], "scope": "openid", **extra}
    if field == "redirect_uris":
        data[field] = [REDIRECT_URI, value]
    elif field == "post_logout_redirect_uris":
        data[field] = [value]
    else:
        data[field] = value
    return data


def authorization_url(idp, client_id: str) -> str:
    return idp.endpoint("/authorize?" + urlencode({
        "client_id": client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid",
        "state": uuid.uuid4().hex, "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256"}))


def expected_origin(url: str) -> str:
    """An image URL's origin, worked out here apart from the code under test."""
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + ("" if parts.port in (None, default) else f":{parts.port}")


def assert_page_safe(page) -> None:
    """The page's CSP is the fixed policy plus, for a shown logo, exactly that logo's origin; every
    URL in an attribute is http(s) or a path on the IdP; client links are absolute http(s) URLs."""
    csp = page.headers["Content-Security-Policy"]
    match = FIXED_CSP.fullmatch(csp)
    assert match, csp
    origins = match["origins"].split()
    logos = [html.unescape(src) for src in LOGO.findall(page.text)]
    assert len(logos) <= 1 and all(ORIGIN.fullmatch(origin) for origin in origins), (csp, logos)
    assert origins == [expected_origin(logo) for logo in logos], (csp, logos)
    for value in URL_ATTRIBUTE.findall(page.text):
        url = html.unescape(value)
        scheme = urlsplit(url).scheme
        assert scheme in ("http", "https") or (scheme == "" and not url.startswith("//")), url
        assert not re.search(r"[\s\x00-\x1f\x7f]", url), url
    for value in CLIENT_LINK.findall(page.text) + logos:
        assert is_strict(html.unescape(value)) or urlsplit(html.unescape(value)).scheme == "http", value


def signed_in_browser(idp) -> Browser:
    """A browser with a user signed in: a new client's authorization request shows it the consent page."""
    user = idp.create_user()
    browser = Browser(idp)
    sign_in(browser, user.email)
    return browser


def assert_pages_safe(idp, signed_in: Browser, client_id: str) -> None:
    """The login page (anonymous) and the consent page (signed in) of the client are safe."""
    url = authorization_url(idp, client_id)
    login = Browser(idp).go(url)
    assert login.status_code == 200 and 'name="password"' in login.text, login.text[:300]
    assert_page_safe(login)
    consent = signed_in.go(url)
    assert consent.status_code == 200 and "would like to" in consent.text, consent.text[:300]
    assert_page_safe(consent)
