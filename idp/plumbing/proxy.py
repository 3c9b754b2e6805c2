"""Behind a TLS-terminating proxy: X-Forwarded-For/-Proto count only when the proxy sent them.

werkzeug's ProxyFix trusts the headers of any peer; this applies it only when the
immediate peer is in TRUSTED_PROXIES (the same list gunicorn's forwarded_allow_ips
gets), so a client talking to the app directly cannot choose the address that
rate limits and audit events key on. The issuer never comes from a request
header (Host, X-Forwarded-Host): it is configuration, and discovery says exactly it.
"""

from __future__ import annotations

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxyFix:
    def __init__(self, app, trusted: tuple[str, ...], hops: int = 1):
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops)
        self.trust_all = trusted == ("*",)
        self.networks = [] if self.trust_all else [ipaddress.ip_network(n) for n in trusted]
        self._answers: dict[str | None, bool] = {}  # peers are few (the proxies, the probes): parse each once

    def is_trusted(self, address: str | None) -> bool:
        answer = self._answers.get(address)
        if answer is None:
            if len(self._answers) > 4096:
                self._answers.clear()
            answer = self._answers[address] = self._is_trusted(address)
        return answer

    def _is_trusted(self, address: str | None) -> bool:
        if self.trust_all:
            return True
        try:
            peer = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.is_trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
