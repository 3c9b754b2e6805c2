"""Requests the IdP itself sends (jwks_uri, back-channel logout, sector_identifier_uri).

Every URL here comes from a client's metadata, i.e. from whoever registered the
client, so each request is guarded against server-side request forgery:

* http(s) only, no credentials in the URL, no redirects followed;
* the host is resolved once and the connection goes to the address that was
  checked (no DNS rebinding between the check and the connect);
* private, loopback, link-local and other non-global addresses are refused
  unless the host is listed in OUTBOUND_ALLOWED_HOSTS;
* a timeout on connect and on every read, and a cap on the response size.

Written on http.client rather than a client library because pinning the checked
address (and keeping SNI and certificate checks on the name) needs the socket.
"""

from __future__ import annotations

import dataclasses
import http.client
import ipaddress
import socket
import ssl
from contextlib import closing as _closing
from urllib.parse import urlsplit

from idp.observability.tracing import client_span


class OutboundError(Exception):
    """The request was refused by the guard or failed (network, timeout, size)."""


@dataclasses.dataclass
class OutboundResponse:
    status: int
    headers: dict
    body: bytes


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


class Outbound:
    def __init__(self, allowed_hosts=(), timeout: float = 5.0, max_bytes: int = 256 * 1024):
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.timeout = timeout
        self.max_bytes = max_bytes

    def check_url(self, url: str) -> tuple[str, str, int, str]:
        """(scheme, host, port, an address we may connect to), or OutboundError."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboundError("only absolute http(s) URLs")
        if parts.username or parts.password:
            raise OutboundError("credentials in the URL")
        host = parts.hostname.lower()
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (ValueError, OSError) as exc:
            raise OutboundError(f"cannot resolve {host}: {exc}") from None
        addresses = [info[4][0] for info in infos]
        if host not in self.allowed_hosts:
            for address in addresses:
                ip = ipaddress.ip_address(address.split("%", 1)[0])
                if not ip.is_global or ip.is_multicast:
                    raise OutboundError(f"{host} resolves to a non-public address")
        return parts.scheme, host, port, addresses[0]

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None,
                max_bytes: int | None = None) -> OutboundResponse:
        scheme, host, port, address = self.check_url(url)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        limit = max_bytes or self.max_bytes
        conn = cls(host, port, address, self.timeout)
        headers = {"User-Agent": "idp", **(headers or {})}
        # http.client has no OpenTelemetry instrumentation: the CLIENT span and the traceparent by hand.
        with client_span(method, scheme, host, port, headers) as current, _closing(conn):
            response = self._exchange(conn, method, path, body, headers, limit, host)
            if current is not None:
                current.set_attribute("http.response.status_code", response.status)
            return response

    @staticmethod
    def _exchange(conn, method, path, body, headers, limit, host) -> OutboundResponse:
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise OutboundError("response too large")
            data = response.read(limit + 1)
            if len(data) > limit:
                raise OutboundError("response too large")
            return OutboundResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        except (OSError, http.client.HTTPException) as exc:
            raise OutboundError(f"{type(exc).__name__} talking to {host}") from None

    def get_json(self, url: str, expect: type = dict):
        import json

        response = self.request("GET", url, headers={"Accept": "application/json"})
        if response.status != 200:
            raise OutboundError(f"HTTP {response.status}")
        try:
            data = json.loads(response.body)
        except ValueError:
            raise OutboundError("not JSON") from None
        if not isinstance(data, expect):
            raise OutboundError(f"not a JSON {expect.__name__}")
        return data

    def post_form(self, url: str, fields: dict) -> OutboundResponse:
        from urllib.parse import urlencode

        return self.request("POST", url, body=urlencode(fields).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
