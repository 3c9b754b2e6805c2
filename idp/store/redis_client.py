"""One place that turns REDIS_URL into a client: a single server, a Sentinel deployment or a
Redis Cluster, always through redis-py's own clients (its Sentinel client finds the current
primary after a failover; its Cluster client follows slot moves), never hand-written failover.

    redis://[:PASS@]host:6379/0             rediss://… with TLS
    redis+sentinel://[:PASS@]host1:26379,host2:26379/<service>/<db>
                                                rediss+sentinel://… with TLS to the data nodes
    redis+cluster://[:PASS@]host1:7000,host2:7001
                                                rediss+cluster://… with TLS

The password in the URL is the data nodes'; REDIS_SENTINEL_PASSWORD, when the sentinels ask
for one, is theirs. The same URL also configures the rate limiter's storage (`limiter_storage`),
which the `limits` library opens with the same redis-py clients.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote, urlsplit

SENTINEL_SCHEMES = {"redis+sentinel": False, "rediss+sentinel": True}
CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}


class RedisUrlError(ValueError):
    """REDIS_URL names no deployment redis-py can connect to; the message says what is wrong."""


@dataclasses.dataclass(frozen=True)
class RedisTarget:
    kind: str  # "single", "sentinel" or "cluster"
    url: str
    hosts: tuple[tuple[str, int], ...] = ()
    password: str | None = None
    username: str | None = None
    tls: bool = False
    service: str | None = None
    db: int = 0


def parse(url: str) -> RedisTarget:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("redis", "rediss", "unix"):
        return RedisTarget("single", url)
    if scheme not in SENTINEL_SCHEMES and scheme not in CLUSTER_SCHEMES:
        raise RedisUrlError("REDIS_URL: use redis://, rediss://, redis+sentinel:// or redis+cluster://")
    # urlsplit cannot read a comma-separated host list as a netloc port: split it by hand.
    rest = url.split("://", 1)[1]
    netloc, _, path = rest.partition("/")
    auth, _, hostlist = netloc.rpartition("@")
    username, _, password = auth.partition(":") if auth else ("", "", "")
    hosts = []
    for item in filter(None, hostlist.split(",")):
        parsed = urlsplit("//" + item)
        try:
            port = parsed.port or (26379 if scheme in SENTINEL_SCHEMES else 6379)
        except ValueError:
            raise RedisUrlError(f"REDIS_URL: bad port in {item!r}") from None
        if not parsed.hostname:
            raise RedisUrlError(f"REDIS_URL: bad host in {item!r}")
        hosts.append((parsed.hostname, port))
    if not hosts:
        raise RedisUrlError("REDIS_URL: name at least one host")
    common = dict(hosts=tuple(hosts), password=unquote(password) or None, username=unquote(username) or None)
    if scheme in CLUSTER_SCHEMES:
        return RedisTarget("cluster", url, tls=CLUSTER_SCHEMES[scheme], **common)
    parts = [p for p in path.split("/") if p]
    if not parts:
        raise RedisUrlError("REDIS_URL: redis+sentinel://hosts/<service>/<db> needs the service name")
    try:
        db = int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise RedisUrlError("REDIS_URL: the database after the service name is a number") from None
    return RedisTarget("sentinel", url, tls=SENTINEL_SCHEMES[scheme], service=parts[0], db=db, **common)


def connect(url: str, *, sentinel_password: str | None = None, **options):
    """A redis-py client for `url`; `options` are the connection settings (timeouts, decoding)."""
    import redis
    from redis.cluster import ClusterNode, RedisCluster
    from redis.sentinel import Sentinel

    target = parse(url)
    if target.kind == "single":
        return redis.Redis.from_url(url, **options)
    auth = {k: v for k, v in (("username", target.username), ("password", target.password)) if v}
    if target.kind == "cluster":
        # Cluster nodes answer health checks themselves; redis-py's cluster client refuses the option.
        options.pop("health_check_interval", None)
        return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in target.hosts], ssl=target.tls,
                            **auth, **options)
    sentinel_options = {k: v for k, v in options.items() if k in ("socket_timeout", "socket_connect_timeout")}
    if sentinel_password:
        sentinel_options["password"] = sentinel_password
    sentinel = Sentinel(list(target.hosts), sentinel_kwargs=sentinel_options)
    return sentinel.master_for(target.service, db=target.db, ssl=target.tls, **auth, **options)


def limiter_storage(url: str, sentinel_password: str | None, options: dict) -> tuple[str, dict]:
    """The `limits` storage URI and options for the same deployment (rate-limit counters)."""
    target = parse(url)
    if target.kind == "single":
        return url, options
    scheme = "redis+cluster" if target.kind == "cluster" else "redis+sentinel"
    netloc = ",".join(f"{h}:{p}" for h, p in target.hosts)
    options = dict(options, **({"password": target.password} if target.password else {}),
                   **({"username": target.username} if target.username else {}), ssl=target.tls)
    if target.kind == "cluster":
        return f"{scheme}://{netloc}", options
    # Counters are read from the primary: a replica's lag would let a burst through.
    options.update(db=target.db, use_replicas=False,
                   sentinel_kwargs={"password": sentinel_password} if sentinel_password else {})
    return f"{scheme}://{netloc}/{target.service}", options
