"""Short-lived shared state: Redis in production, an in-process store for the embedded default.

Both expose the same small interface; every key carries a TTL and the
deployment's prefix, so several deployments (or test runs) can share a Redis.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from idp.store.feed import CHANNEL, Feed, announcement


class EphemeralStore(Protocol):
    def get(self, key: str) -> str | None: ...
    def mget(self, keys: list[str]) -> list[str | None]: ...
    def set(self, key: str, value: str, ttl: int) -> None: ...
    def add(self, key: str, value: str, ttl: int) -> bool:
        """Set only if absent; True when this call created the key."""
    def take(self, key: str) -> str | None:
        """Get and delete in one atomic step: the basis of one-time codes."""
    def take_and_mark(self, key: str, marker: str, ttl: int) -> str | None:
        """take(key) and leave marker behind (ttl), atomically, in one round trip."""
    def delete(self, *keys: str) -> None: ...
    def announce(self, items: list[tuple[str, str, int]]) -> None:
        """set_many, and every process's feed (idp/store/feed.py) hears of it."""
    def set_many(self, items: list[tuple[str, str, int]]) -> None:
        """(key, value, ttl) triples, written in one round trip (a pipeline on Redis)."""
    def incr(self, key: str, ttl: int) -> int: ...
    def sadd(self, key: str, member: str, ttl: int) -> None:
        """Add to a set and (re)start its TTL: indexes such as a user's sessions."""
    def smembers(self, key: str) -> set[str]: ...
    def scard(self, key: str) -> int: ...
    def srem(self, key: str, *members: str) -> None: ...
    def index_add(self, index: str, member: str, ttl: int) -> None:
        """Remember member in a set for ttl seconds (what can be counted without scanning keys)."""
    def index_remove(self, index: str, *members: str) -> None: ...
    def index_count(self, index: str) -> int:
        """Members whose ttl has not passed."""
    def ping(self) -> None: ...


def is_outage(exc: Exception) -> bool:
    """exc says the shared store could not be reached (Redis down, or slower than its timeouts)."""
    try:
        import redis
    except ImportError:  # pragma: no cover
        return False
    from redis.exceptions import ClusterDownError, ReadOnlyError, SlotNotCoveredError, TryAgainError

    # ReadOnlyError: a primary just demoted by a Sentinel failover; the cluster ones: a slot
    # migrating or a shard without its primary. All pass within seconds, as an outage does.
    return isinstance(exc, (redis.ConnectionError, redis.TimeoutError, ReadOnlyError, ClusterDownError,
                            SlotNotCoveredError, TryAgainError))


class RedisStore:
    """Redis behind the small interface above: one server, a Sentinel deployment or a Cluster
    (idp/store/redis_client.py). On a Cluster every multi-key step touches keys that share a
    hash tag (a code and its reuse marker: `code:{h}`, `code-used:{h}`), and batched reads are
    split per slot by the client (mget_nonatomic): each key of such a batch stands alone."""

    def __init__(self, url: str, prefix: str, sentinel_password: str | None = None):
        from redis.cluster import RedisCluster

        from idp.store.redis_client import connect

        # Short timeouts: an outage must turn into a fast 503, never a hang.
        self._redis = connect(
            url,
            sentinel_password=sentinel_password,
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
            health_check_interval=30,
            decode_responses=True,
        )
        self.cluster = isinstance(self._redis, RedisCluster)
        self._mget = self._redis.mget_nonatomic if self.cluster else self._redis.mget
        self._prefix = prefix
        self._feeds: list[Feed] = []

    def _k(self, key: str) -> str:
        return self._prefix + key

    def get(self, key):
        return self._redis.get(self._k(key))

    def mget(self, keys):
        if not keys:
            return []
        return self._mget([self._k(k) for k in keys])

    def set(self, key, value, ttl):
        self._redis.set(self._k(key), value, ex=max(1, int(ttl)))

    def add(self, key, value, ttl):
        return bool(self._redis.set(self._k(key), value, ex=max(1, int(ttl)), nx=True))

    def set_many(self, items):
        self._set_pipeline(items).execute()

    def announce(self, items):
        """The SETs and their announcement in one round trip (the feed's message follows the keys).
        A Cluster has no feed (below): the SETs alone."""
        pipe = self._set_pipeline(items)
        if self.cluster:
            pipe.execute()
            return
        message = announcement(items)
        pipe.publish(self._k(CHANNEL), message)
        pipe.execute()
        for feed in self._feeds:  # this process's own mirror knows at once, not one pub/sub hop later
            feed.apply(message)

    def _set_pipeline(self, items):
        pipe = self._redis.pipeline(transaction=False)  # one round trip, no MULTI: each SET stands alone
        for key, value, ttl in items:
            pipe.set(self._k(key), value, ex=max(1, int(ttl)))
        return pipe

    def feed(self, load, versions: tuple[str, ...]) -> Feed | None:
        """This store's feed: `load()` gives the durable keys, `versions` are read from Redis. None on
        a Cluster, whose pipelines cannot publish and whose subscriptions live on one node: there,
        checks keep reading Redis (a measured optimisation, not a guarantee, is what is given up)."""
        if self.cluster:
            return None
        feed = Feed(self._redis, self._prefix, load, versions)
        self._feeds.append(feed)
        return feed

    def take(self, key):
        return self._redis.getdel(self._k(key))

    def take_and_mark(self, key, marker, ttl):
        pipe = self._redis.pipeline(transaction=True)
        pipe.getdel(self._k(key))
        pipe.set(self._k(marker), "1", ex=max(1, int(ttl)))
        return pipe.execute()[0]

    def delete(self, *keys):
        if keys:
            self._redis.delete(*[self._k(k) for k in keys])

    def incr(self, key, ttl):
        pipe = self._redis.pipeline()
        pipe.incr(self._k(key))
        pipe.expire(self._k(key), max(1, int(ttl)), nx=True)
        return int(pipe.execute()[0])

    def sadd(self, key, member, ttl):
        pipe = self._redis.pipeline()
        pipe.sadd(self._k(key), member)
        pipe.expire(self._k(key), max(1, int(ttl)))
        pipe.execute()

    def smembers(self, key):
        return set(self._redis.smembers(self._k(key)))

    def scard(self, key):
        return int(self._redis.scard(self._k(key)))

    def srem(self, key, *members):
        if members:
            self._redis.srem(self._k(key), *members)
    def index_add(self, index, member, ttl):
        # A sorted set scored by expiry: counting is ZCARD after dropping the expired, not a SCAN.
        pipe = self._redis.pipeline()
        pipe.zadd(self._k(index), {member: time.time() + ttl})
        pipe.expire(self._k(index), max(1, int(ttl)))
        pipe.execute()

    def index_remove(self, index, *members):
        if members:
            self._redis.zrem(self._k(index), *members)

    def index_count(self, index):
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(self._k(index), "-inf", time.time())
        pipe.zcard(self._k(index))
        return int(pipe.execute()[1])

    def ping(self):
        self._redis.ping()

    def flush_prefix(self) -> None:
        """Delete every key of this deployment (tests, and `idp` maintenance)."""
        for key in self._redis.scan_iter(match=self._prefix + "*", count=500):
            self._redis.delete(key)


class MemoryStore:
    """The embedded default's store: one process only (it says so at start)."""

    def __init__(self):
        self._data: dict[str, tuple[str, float]] = {}
        self._indexes: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()
        self._ops = 0

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] <= time.monotonic():
            del self._data[key]
            return None
        return item[0]

    def _sweep(self) -> None:
        self._ops += 1
        if self._ops % 1000 == 0:
            now = time.monotonic()
            for key in [k for k, (_, exp) in self._data.items() if exp <= now]:
                del self._data[key]

    def get(self, key):
        with self._lock:
            return self._live(key)

    def mget(self, keys):
        with self._lock:
            return [self._live(k) for k in keys]

    def set(self, key, value, ttl):
        with self._lock:
            self._sweep()
            self._data[key] = (value, time.monotonic() + ttl)

    def set_many(self, items):
        for key, value, ttl in items:
            self.set(key, value, ttl)

    def announce(self, items):
        self.set_many(items)  # one process: nobody else to tell

    def add(self, key, value, ttl):
        with self._lock:
            if self._live(key) is not None:
                return False
            self._sweep()
            self._data[key] = (value, time.monotonic() + ttl)
            return True

    def take(self, key):
        with self._lock:
            value = self._live(key)
            self._data.pop(key, None)
            return value

    def take_and_mark(self, key, marker, ttl):
        with self._lock:
            value = self._live(key)
            self._data.pop(key, None)
            self._data[marker] = ("1", time.monotonic() + ttl)
            return value

    def delete(self, *keys):
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def incr(self, key, ttl):
        with self._lock:
            current = self._live(key)
            expires = self._data[key][1] if current is not None else time.monotonic() + ttl
            value = int(current or 0) + 1
            self._data[key] = (str(value), expires)
            return value

    def sadd(self, key, member, ttl):
        with self._lock:
            members = set(self._live(key) or ())
            members.add(member)
            self._data[key] = (frozenset(members), time.monotonic() + ttl)

    def smembers(self, key):
        with self._lock:
            return set(self._live(key) or ())

    def scard(self, key):
        with self._lock:
            return len(self._live(key) or ())

    def srem(self, key, *members):
        with self._lock:
            current = self._live(key)
            if current is not None:
                self._data[key] = (frozenset(set(current) - set(members)), self._data[key][1])
    def index_add(self, index, member, ttl):
        with self._lock:
            self._indexes.setdefault(index, {})[member] = time.monotonic() + ttl

    def index_remove(self, index, *members):
        with self._lock:
            for member in members:
                self._indexes.get(index, {}).pop(member, None)

    def index_count(self, index):
        now = time.monotonic()
        with self._lock:
            live = {m: exp for m, exp in self._indexes.get(index, {}).items() if exp > now}
            self._indexes[index] = live
            return len(live)

    def ping(self):
        return None


def make_store(redis_url: str | None, prefix: str, sentinel_password: str | None = None) -> EphemeralStore:
    return RedisStore(redis_url, prefix, sentinel_password) if redis_url else MemoryStore()
