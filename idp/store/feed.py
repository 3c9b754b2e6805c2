"""An in-process mirror of the shared-store keys every token check reads (revocations, the key-set
and authorization versions), kept current by Redis pub/sub, so that validating an access token
(introspection, userinfo, the admin API) makes no Redis round trip (issue 20).

Writers *announce* those keys (RedisStore.announce: the SETs and one PUBLISH, one pipeline); each
process's subscriber thread applies what it hears to its mirror. When it (re)subscribes, the
mirror is filled from the durable sources first: active revocations from PostgreSQL, the version
keys from Redis; messages arriving meanwhile queue on the subscription and are applied after.

Trust rule: the mirror answers only while it is *confirmed live*. The thread sends PING on its
subscription every HEARTBEAT seconds; Redis answers on that connection after every message it
published before the PING, so when the PONG of a ping sent at t0 arrives, everything announced
before t0 is in the mirror, and it is trusted until t0 + STALE (100 ms): a revocation made on any
replica is honoured on every replica within 100 ms. A lost, slow or starved subscription, or
more active revocations than MAX_ENTRIES (the mirror would cost too much memory per worker),
leaves `live()` False, and callers read Redis, then PostgreSQL, as before: never stale state.

Written here rather than taken from a library: redis-py gives the subscription and the PING, but
no maintained library keeps a confirmed-live mirror with a fallback rule like this one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

log = logging.getLogger("idp.feed")
CHANNEL = "feed"
HEARTBEAT = 0.025
STALE = 0.1
MAX_ENTRIES = 100_000
RETRY = 1.0  # seconds between reconnection attempts (and re-loads after too many entries)
IDLE = 60.0  # seconds without a token check, after which the thread lets the subscription go


def announcement(items: Iterable[tuple[str, str, int]]) -> str:
    """The message a writer publishes for keys it set: [[key, value, expires at (Unix time)], ...]."""
    now = time.time()
    return json.dumps([[key, value, now + ttl] for key, value, ttl in items])


class Feed:
    def __init__(self, redis, prefix: str, load: Callable[[], Iterable[tuple[str, str, float]]],
                 versions: tuple[str, ...], heartbeat: float = HEARTBEAT, stale: float = STALE,
                 max_entries: int = MAX_ENTRIES, idle: float = IDLE):
        """`redis`: the store's client; `load()`: the durable keys as (key, value, expires at);
        `versions`: keys read from Redis itself at each (re)subscription."""
        self.redis, self.channel = redis, prefix + CHANNEL
        self.prefix, self.load, self.versions = prefix, load, versions
        self.heartbeat, self.stale, self.max_entries, self.idle = heartbeat, stale, max_entries, idle
        self._mirror: dict[str, tuple[str, float]] = {}
        self._live_until = 0.0  # monotonic
        self._swept = 0.0
        self._pid: int | None = None  # the process whose thread runs (None: none runs)
        self._wanted = 0.0  # monotonic time of the last live() call
        self._pubsub = None  # the current subscription
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        # Writers of the mirror (the feed thread, and request threads applying their own
        # announcements) take turns: a sweep or a refill replacing the dict while another thread
        # writes into the old one would lose that write. Readers need no lock (one dict lookup).
        self._writing = threading.Lock()

    # -- reading -----------------------------------------------------------------
    def live(self) -> bool:
        """True while the mirror is confirmed current. Starts this process's thread when none runs
        (first use, after a fork, after IDLE seconds unused): meanwhile False, and callers read Redis."""
        now = self._wanted = time.monotonic()
        if self._pid != os.getpid():
            self._start()
        return now < self._live_until

    def mget(self, keys: list[str]) -> list[str | None]:
        """Like the store's mget, for mirrored keys; ask only while live()."""
        now, mirror = time.time(), self._mirror
        out = []
        for key in keys:
            entry = mirror.get(key)
            out.append(entry[0] if entry is not None and entry[1] > now else None)
        return out

    # -- the subscriber ----------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid, self._live_until, self._mirror = os.getpid(), 0.0, {}  # a forked copy starts afresh
            threading.Thread(target=self._run, name="idp-feed", daemon=True).start()

    def stop(self) -> None:
        """Stop listening; live() turns False within STALE, until resume() (tests, shutdown)."""
        self._stopping.set()

    def resume(self) -> None:
        self._stopping.clear()

    def _run(self) -> None:
        try:
            while not self._stopping.is_set() and not self._unused():
                try:
                    self._listen()
                except Exception as exc:  # Redis went away, failed over, or the load failed: retry
                    log.warning("revocation feed interrupted, token checks read Redis meanwhile: %s",
                                exc.__class__.__name__)
                self._live_until = 0.0
                if not self._unused():
                    self._stopping.wait(RETRY)
        finally:
            with self._lock:
                self._live_until, self._pid = 0.0, None

    def _unused(self) -> bool:
        return time.monotonic() - self._wanted > self.idle

    def _listen(self) -> None:
        pubsub = self._pubsub = self.redis.pubsub()
        try:
            pubsub.subscribe(self.channel)
            while not self._stopping.is_set():  # the subscription is confirmed before loading
                message = pubsub.get_message(timeout=1.0)
                if message and message["type"] == "subscribe":
                    break
            if not self._fill():
                return
            sent: dict[str, float] = {}
            next_ping = 0.0
            while not self._stopping.is_set() and not self._unused():
                now = time.monotonic()
                if now >= next_ping:
                    token = f"{now:.6f}"
                    sent[token] = now
                    pubsub.ping(token)
                    next_ping = now + self.heartbeat
                message = pubsub.get_message(timeout=max(0.0, next_ping - time.monotonic()))
                if message is None:
                    continue
                if message["type"] == "message":
                    self.apply(message["data"])
                elif message["type"] == "pong":
                    at = sent.pop(message["data"], None)
                    if at is not None:
                        self._live_until = max(self._live_until, at + self.stale)
                        sent = {t: s for t, s in sent.items() if s > at}
                if len(self._mirror) > self.max_entries:
                    return self._too_many()
        finally:
            self._live_until = 0.0
            pubsub.close()

    def _fill(self) -> bool:
        """The durable keys, then the version keys; False when there are too many to mirror."""
        mirror: dict[str, tuple[str, float]] = {}
        for key, value, expires_at in self.load():
            mirror[key] = (value, expires_at)
            if len(mirror) > self.max_entries:
                return self._too_many()
        values = self.redis.mget([self.prefix + key for key in self.versions])
        far = time.time() + 30 * 86400
        for key, value in zip(self.versions, values):
            if value is not None:
                mirror[key] = (value, far)
        with self._writing:
            self._mirror = mirror
        return True

    def _too_many(self) -> bool:
        log.warning("more than %s active revocations: token checks read Redis (the feed retries)", self.max_entries)
        self._mirror = {}
        self._stopping.wait(60)
        return False

    def apply(self, message: str) -> None:
        """An announcement (heard on the channel, or made by this process) into the mirror."""
        items = json.loads(message)
        now = time.time()
        with self._writing:
            mirror = self._mirror
            for key, value, expires_at in items:
                if expires_at > now:
                    mirror[key] = (value, expires_at)
            if len(mirror) > 1000 and now - self._swept > 60:  # expired revocations leave the mirror
                self._swept = now
                self._mirror = {k: v for k, v in mirror.items() if v[1] > now}
