"""What a server's ephemeral store holds: every key of its prefix (Redis) or of the in-process
store (embedded default), with the size of its value in bytes. The anonymous-visitor tests
(issue 30) compare two readings."""

from __future__ import annotations

import redis

from ..conftest import REDIS_URL


def _redis_size(connection, key: bytes) -> int:
    kind = connection.type(key).decode()
    if kind == "string":
        return connection.strlen(key)
    if kind == "set":
        return sum(len(m) for m in connection.smembers(key))
    return connection.memory_usage(key) or 0  # a limiter's counters, an index: what Redis spends on it


def footprint(idp) -> dict[str, int]:
    if idp.backend == "postgres":
        prefix = idp.services.config.redis_prefix
        connection = redis.Redis.from_url(REDIS_URL)
        try:
            return {key.decode()[len(prefix):]: _redis_size(connection, key)
                    for key in connection.scan_iter(match=prefix + "*", count=1000)}
        finally:
            connection.close()
    store = idp.services.store
    with store._lock:
        return {key: len(value) if isinstance(value, str) else sum(len(m) for m in value)
                for key, (value, _expires) in store._data.items()}


def grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Keys that appeared or grew between two readings, with their size now."""
    return {key: size for key, size in after.items() if before.get(key, -1) < size}
