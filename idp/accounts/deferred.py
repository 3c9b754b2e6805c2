"""Work done after the answer, out of the request: what must not show in the request's time.

A password reset request for a known account writes a link and a mail; for an unknown one,
nothing. Done in the request, that difference is an account-enumeration oracle by timing (issue
30, part 5; OWASP Authentication Cheat Sheet, "Authentication and error messages"). The request
hands the work to this queue on both paths and answers at once, having read and written nothing;
one thread per process does the work in a request context that carries the asker's address and
request id (so the audit event names them as before) and builds links from ISSUER as ever.

Not durable: a process that ends in the moment between the answer and the work drops that one
request, and the user asks again (the page says to); the durable part, the mail, goes through the
outbox as always. Standard library only: a queue and a thread, as the mail sender (accounts/mail.py).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from flask import current_app, g, has_request_context, request

log = logging.getLogger("idp.deferred")
THREAD_NAME = "idp-deferred"


class DeferredWork:
    def __init__(self):
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid = None
        self._lock = threading.Lock()

    def submit(self, func: Callable, *args) -> None:
        """Run func(*args) soon, on this process's worker thread, as if in the current request."""
        address = request.remote_addr if has_request_context() else g.get("remote_addr")
        self._start()
        self._queue.put((current_app._get_current_object(), address, g.get("request_id"), func, args))

    def _start(self) -> None:
        """Start the worker (again after a fork: threads do not survive one)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            app, address, request_id, func, args = self._queue.get()
            try:
                # A request context (Flask's documented way to run request code elsewhere): templates,
                # url_for and the audit trail work as in the request, with its address and id.
                with app.test_request_context("/", environ_base={"REMOTE_ADDR": address or ""}):
                    g.request_id = request_id
                    func(*args)
            except Exception:
                log.exception("deferred %s failed", getattr(func, "__qualname__", func))
            finally:
                self._queue.task_done()

    def wait(self, timeout: float) -> bool:
        """Until the queue is done (a command about to exit, a test reading the result); True when it is."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True
