"""The fuzz pass of issue 30: hostile values, the requests that carry them, and the invariants
every response must keep, whatever was sent.

Invariants (check_response):
1. no 5xx (the stores are up in the tests, so not even a 503);
2. no traceback or exception text in the body;
3. no unescaped echo: the marker MARK, sent inside tags, quotes and `javascript:` URLs, never
   appears raw in an HTML body; it never reaches a response header except percent-encoded inside
   a re-serialised URL (Location); a JSON body may carry it only as JSON (never sniffable as HTML);
4. the run log gains no traceback (RunLogWatch).

Values are drawn by hypothesis with a fixed profile (derandomized: CI sees the same examples every
run); IDP_FUZZ_EXAMPLES=n and IDP_FUZZ_RANDOM=1 widen a local run.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import os
import re
from urllib.parse import quote, urlencode

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from urllib3 import encode_multipart_formdata

from ..conftest import RUN_LOG

MARK = "fzq"  # a word no page, header or document of the IdP contains
FUZZ = settings(
    max_examples=int(os.environ.get("IDP_FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=os.environ.get("IDP_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

HOSTILE = (
    f"<script>{MARK}</script>",
    f'"><img src=x onerror={MARK}>',
    f"'{MARK}\"<{MARK}>",
    f"javascript:{MARK}",
    f"JaVaScRiPt:alert('{MARK}')",
    f"</title></script><{MARK}>",
    f"{{{{7*7}}}}{{%{MARK}%}}<{MARK}>",
    f"a\r\nX-{MARK}: 1\r\n\r\n<{MARK}>",
    f"%0d%0aX-{MARK}:%201",
    f"data:text/html,<{MARK}>",
    f"http://127.0.0.1:8080/callback#<{MARK}>",
    f"https://evil.example/<{MARK}>?a=\"{MARK}\"",
    f"http://[::1/<{MARK}>",
    f"//evil.example/{MARK}",
    f"{MARK}; script-src 'unsafe-inline'",
    "\x00", "\x00<fzq>", "\u202e\u0000\ufeff", "\ud7ff\ue000\U0010ffff", "../../../etc/passwd",
    "' OR '1'='1' --", "%", "%zz", "%00", "+", ";", "&", "=", "?", "#", " ", "\t", "",
    "null", "[]", "{}", "-1", "0", "1e309", "NaN", "99999999999999999999999999", "true",
    "openid openid openid", "A" * 300,
)

JUNK_NAMES = ("", " ", "[]", "a[b]", f"<{MARK}>", "__proto__", "constructor", "x" * 200, "\x00", "%ff")


def hostile_text() -> st.SearchStrategy[str]:
    """Strings that break naive escaping, parsing and size assumptions (valid Unicode: the bytes
    level, invalid UTF-8, is body_of's)."""
    printable = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)
    return st.one_of(
        st.sampled_from(HOSTILE),
        printable.map(lambda s: f"{s}<{MARK}>\"{MARK}'"),
        st.builds(operator.add, printable, st.sampled_from(HOSTILE)),
        st.builds(operator.mul, st.sampled_from(["A", f"<{MARK}>", "é", "%", "\x00", "&a="]),
                  st.integers(500, 12_000)),
    )


def valid_or_hostile(valid: st.SearchStrategy | str) -> st.SearchStrategy[str]:
    valid = st.just(valid) if isinstance(valid, str) else valid
    return st.one_of(valid, valid, hostile_text())


@st.composite
def parameters(draw, fields: dict, extras: dict | None = None) -> list[tuple[str, str]]:
    """A parameter list. Mostly one field is hostile, absent or repeated and the others are valid (the
    hostile value then reaches the code behind the checks); sometimes every field is drawn on its own.
    `extras` are fields absent unless drawn (their valid values change the request's kind)."""
    extras = extras or {}
    everything = {name: st.just(v) if isinstance(v, str) else v for name, v in (fields | extras).items()}
    chosen = draw(st.sampled_from([None, *everything])) if draw(st.integers(0, 3)) else "all"
    pairs = []
    for name, valid in everything.items():
        if chosen == "all":
            how = draw(st.sampled_from(("valid", "hostile", "absent", "repeated")))
        elif name == chosen:
            how = draw(st.sampled_from(("hostile", "absent", "repeated", "valid")))
        else:
            how = "absent" if name in extras else "valid"
        if how == "absent" or (how == "valid" and name in extras and chosen == "all" and draw(st.booleans())):
            continue
        pairs.append((name, draw(valid if how == "valid" else hostile_text())))
        if how == "repeated":
            pairs.append((name, draw(valid_or_hostile(valid))))
    for _ in range(draw(st.integers(0, 2 if chosen == "all" else 1))):
        pairs.append((draw(st.one_of(st.sampled_from(JUNK_NAMES), hostile_text().map(lambda s: s[:40]))),
                      draw(hostile_text())))
    return draw(st.permutations(pairs))


ENCODINGS = ("form",) * 8 + ("bad-utf8", "bad-utf8-escaped", "json", "multipart", "text-plain",
             "none", "latin-1", "utf-16")


def body_of(pairs: list[tuple[str, str]], encoding: str) -> tuple[bytes, str | None]:
    """(body, Content-Type) carrying pairs the way `encoding` says, most of them wrong on purpose."""
    form = urlencode(pairs).encode()
    if encoding == "form":
        return form, "application/x-www-form-urlencoded"
    if encoding == "bad-utf8":  # raw bytes that are not UTF-8, in a name and in a value
        return form + b"&\xff\xfe=\xc3\x28" + MARK.encode() + b"\xed\xa0\x80", "application/x-www-form-urlencoded"
    if encoding == "bad-utf8-escaped":
        return form + b"&%ff%fe=%C3%28%ED%A0%80" + MARK.encode(), "application/x-www-form-urlencoded"
    if encoding == "json":
        return json.dumps(dict(pairs)).encode(), "application/json"
    if encoding == "multipart":
        body, content_type = encode_multipart_formdata([(k or "_", v) for k, v in pairs])
        return body, content_type
    if encoding == "text-plain":
        return form, "text/plain"
    if encoding == "none":
        return form, None
    if encoding == "latin-1":
        return urlencode(pairs, encoding="latin-1", errors="replace").encode(), \
            "application/x-www-form-urlencoded; charset=ISO-8859-1"
    return "&".join(f"{k}={v}" for k, v in pairs).encode("utf-16"), "application/x-www-form-urlencoded; charset=utf-16"


def query_of(pairs: list[tuple[str, str]], raw: bytes = b"") -> str:
    """A query string (percent-encoded UTF-8), plus raw bytes percent-encoded as they are."""
    return urlencode(pairs) + ("&" + quote(raw, safe="=&") if raw else "")


@dataclasses.dataclass
class Hostile:
    """One request, as sent: the failure report shows it whole."""

    method: str
    path: str
    query: str = ""
    body: bytes | None = None
    content_type: str | None = None
    headers: dict = dataclasses.field(default_factory=dict)

    def send(self, base_url: str, http: requests.Session | None = None) -> requests.Response:
        headers = dict(self.headers)
        if self.content_type:
            headers["Content-Type"] = self.content_type
        url = base_url + self.path + ("?" + self.query if self.query else "")
        http = http or requests.Session()
        prepared = http.prepare_request(requests.Request(self.method, url, headers=headers, data=self.body))
        if self.content_type is None:
            prepared.headers.pop("Content-Type", None)
        response = http.send(prepared, allow_redirects=False, timeout=30)
        check_response(response, self)
        return response


@st.composite
def form_request(draw, method: str, path: str, fields: dict, headers: st.SearchStrategy | None = None,
                 extras: dict | None = None) -> Hostile:
    """The fields in the query (GET) or in a body of any encoding (POST)."""
    pairs = draw(parameters(fields, extras))
    extra = draw(headers) if headers is not None else {}
    if method == "GET":
        raw = draw(st.sampled_from((b"",) * 4 + (b"\xff\xfe=\xc3\x28", b"a=%zz&&==&\x00")))
        return Hostile("GET", path, query_of(pairs, raw), headers=extra)
    body, content_type = body_of(pairs, draw(st.sampled_from(ENCODINGS)))
    query = query_of(draw(parameters({}))) if not draw(st.integers(0, 3)) else ""
    return Hostile("POST", path, query, body, content_type, extra)


def hostile_headers(always: dict | None = None, **valid: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """Request headers the app reads, valid or hostile (latin-1 only: HTTP/1.1 field values); those
    in `always` are always sent (mostly valid), the others only sometimes."""
    latin = hostile_text().map(header_value)
    names = {"Accept-Language": st.sampled_from(["fr", "de-CH;q=0.9, *;q=0.1", "xx-" + "a" * 100]),
             "Origin": st.sampled_from(["http://127.0.0.1:8080", "null", "https://evil.example"]),
             "X-Request-ID": st.sampled_from(["abc", "a" * 200]), "If-None-Match": st.sampled_from(['"x"', "*", "W/"]),
             **valid}
    sent = {name: st.one_of(strategy, strategy, latin) for name, strategy in (always or {}).items()}
    return st.fixed_dictionaries(sent, optional={name: st.one_of(strategy, latin) for name, strategy in names.items()})


def header_value(text: str) -> str:
    """text as a field value a client can send: latin-1, no line breaks, not starting with a space."""
    return "x" + re.sub(r"[\r\n]", "", text).encode("latin-1", "replace").decode("latin-1")[:4000]


# -- the invariants --------------------------------------------------------------
EXCEPTION_TEXT = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+|<class '"
    r"|\b(?:Key|Type|Value|Attribute|Index|Name|Lookup|Runtime|Assertion|Recursion|Overflow|ZeroDivision"
    r"|Unicode(?:De|En)code|JSONDecode|Integrity|Operational|Programming|Data)Error\b"
    r"|sqlalchemy\.|psycopg|jinja2\.exceptions|redis\.exceptions|werkzeug\.exceptions")
# raw markup or a raw quote next to the marker: escaped, they read &lt;fzq, &#34;fzq, &lt;img ...
RAW_ECHO = re.compile(rf"<(?:script>)?{MARK}|<img src=x onerror|[\"']{MARK}"
                      r"|(?:href|src|action)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)
UNSAFE_IN_URL = re.compile(r"[<>\"'\s\\`{}|^]")


def check_response(response: requests.Response, sent: Hostile | None = None) -> None:
    where = f"{response.request.method} {response.request.path_url[:200]} -> {response.status_code}"
    check_exchange(where, response.status_code, response.content, list(response.headers.items()))


def check_exchange(where: str, status: int, content: bytes, headers: list[tuple[str, str]]) -> None:
    """The invariants of one response (status, body, headers as sent), whoever made the request."""
    body = content.decode("utf-8", "replace")
    assert status < 500, f"{where}: {body[:500]}"
    found = EXCEPTION_TEXT.search(body)
    assert not found, f"{where}: exception text {found.group(0)!r} in {body[:500]}"
    content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
    if "html" in content_type or body.lstrip().startswith("<"):
        echo = RAW_ECHO.search(body)
        assert not echo, f"{where}: unescaped echo {body[max(0, echo.start() - 120):echo.end() + 60]!r}"
    elif MARK in body:  # a JSON error may quote the request; a browser must never sniff it as a page
        assert content_type.split(";")[0].strip() in ("application/json", "application/problem+json"), \
            f"{where}: input echoed in a {content_type!r} body"
        assert ("X-Content-Type-Options", "nosniff") in headers, where
    for name, value in headers:
        assert MARK not in name.lower(), f"{where}: a header was injected: {name}: {value}"
        if MARK in value.lower() and name.lower() == "content-security-policy":
            # a registered client's logo or redirect origin, parsed and re-serialised (web_urls.py): only
            # as a whole scheme://host[:port] source, never as text that could add a directive
            # (the script nonce is random and may spell the marker: it is no carrier of input)
            carriers = [token for token in value.replace(";", " ").split()
                        if MARK in token.lower() and not token.startswith("'nonce-")]
            assert all(re.fullmatch(r"https?://[a-z0-9.-]+(:\d+)?", token) for token in carriers), \
                f"{where}: input reached the header {name}: {value[:300]!r}"
        elif MARK in value.lower():  # only a URL the app re-serialised, or a request id it checked, may carry input
            assert name.lower() in ("location", "x-request-id") and not UNSAFE_IN_URL.search(value), \
                f"{where}: input reached the header {name}: {value[:300]!r}"


def schemathesis_check():
    """check_exchange as a schemathesis check, for the runs driven by an OpenAPI description."""
    from schemathesis import check

    @check
    def keeps_the_fuzz_invariants(ctx, response, case):
        where = f"{case.operation.label} -> {response.status_code}"
        headers = [(name, value) for name, values in response.headers.items() for value in values]
        check_exchange(where, response.status_code, response.content or b"", headers)

    return keeps_the_fuzz_invariants


class RunLogWatch:
    """What the servers logged while a fuzz test ran: no traceback, no unhandled error."""

    def __init__(self):
        self.start = os.path.getsize(RUN_LOG)

    def new_lines(self) -> str:
        with open(RUN_LOG, encoding="utf-8", errors="replace") as handle:
            handle.seek(self.start)
            return handle.read()

    def assert_clean(self) -> None:
        for line in self.new_lines().splitlines():
            if ("Traceback" in line or "unhandled error" in line) and not self.background_worker(line):
                raise AssertionError(f"the server logged: {line[:3000]}")

    @staticmethod
    def background_worker(line: str) -> bool:
        """A line of the mail, webhook or purge threads: they handle no request, so nothing the fuzz
        sent. Those of test servers stopped earlier in the run (conftest.start_idp drops their
        database; the threads live on) retry against a database that is gone, or that a resilience
        test restarts."""
        return any(f'"logger": "{name}"' in line for name in ("idp.mail", "idp.purge", "idp.webhooks"))
