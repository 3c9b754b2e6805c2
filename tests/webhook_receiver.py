"""A real HTTP receiver for the webhook tests: it records every request (headers and the raw body)
and answers with the status the test sets (204 by default)."""

from __future__ import annotations

import dataclasses
import http.server
import threading
import time

from standardwebhooks import Webhook


@dataclasses.dataclass
class Received:
    headers: dict
    body: bytes

    def verified_by(self, secret: str) -> dict:
        """The payload, if `secret` verifies the signature (Standard Webhooks); raises otherwise."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    def __init__(self):
        self.received: list[Received] = []
        self.status = 204
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} webhooks received, expected {count}")

    def close(self):
        self.server.shutdown()
