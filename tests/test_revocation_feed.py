"""The feed (idp/store/feed.py, issue 20): each process mirrors revocations and version keys so
that a token check needs no Redis round trip, trusted only while confirmed live. RFC 7009 2.2 and
RFC 7662 2.2: a revoked token is never accepted again, whichever replica it reaches; the mirror
never answers from stale state (lost, stopped or overloaded subscription: reads fall back to Redis).
Real PostgreSQL and Redis; two feeds on one prefix stand for two replicas."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from idp.store.ephemeral import RedisStore
from idp.store.feed import STALE
from idp.store.refresh_tokens import Revocations
from idp.tokens.revocation_cache import durable_revocations

from .conftest import REDIS_URL
from .test_revocation_cache import durable, seed, store  # noqa: F401  (fixtures, and the seeding)

VERSION = "keys:version"


@pytest.fixture
def replicas(durable, store):
    """Two feeds on one prefix (two replicas), stopped afterwards."""
    made = []

    def replica(**kwargs):
        replica_store = RedisStore(REDIS_URL, store._prefix)  # another process's client, same deployment
        feed = replica_store.feed(lambda: durable_revocations(Revocations(durable)), (VERSION,))
        for name, value in kwargs.items():
            setattr(feed, name, value)
        made.append(feed)
        return feed

    yield replica
    for feed in made:
        feed.stop()


def until(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_the_mirror_starts_from_postgres_and_redis_then_goes_live(durable, store, replicas):
    active, expired = seed(durable, 30, dt.timedelta(hours=1), uuid.uuid4().hex[:6]), seed(durable, 3, dt.timedelta(seconds=-1), uuid.uuid4().hex[:6])
    store.set(VERSION, "v1", 60)
    feed = replicas()
    assert until(feed.live)
    assert feed.mget(["rev:" + i for i in active]) == ["1"] * 30
    assert feed.mget(["rev:" + i for i in expired] + ["rev:jti:never"]) == [None] * 4
    assert feed.mget([VERSION]) == ["v1"]


def test_what_one_replica_announces_reaches_the_others_mirror(store, replicas):
    a, b = replicas(), replicas()
    assert until(a.live) and until(b.live)
    store.announce([("rev:jti:revoked-on-a", "1", 60), (VERSION, "v2", 60)])
    assert until(lambda: b.mget(["rev:jti:revoked-on-a", VERSION]) == ["1", "v2"], 2.0)
    assert until(lambda: a.mget(["rev:jti:revoked-on-a"]) == ["1"], 2.0)  # its own, too
    assert store.mget(["rev:jti:revoked-on-a"]) == ["1"]  # and Redis has it, for a feed that is not live


def test_after_stale_a_replica_either_has_the_revocation_or_is_not_trusted(store, replicas):
    """The 100 ms rule, by construction: past STALE since the announcement, a live mirror has it."""
    b = replicas()
    assert until(b.live)
    for n in range(20):
        store.announce([(f"rev:jti:r{n}", "1", 60)])
        time.sleep(STALE)
        assert not b.live() or b.mget([f"rev:jti:r{n}"]) == ["1"]


def test_a_stopped_subscriber_is_not_trusted_after_stale(store, replicas):
    feed = replicas()
    assert until(feed.live)
    feed.stop()  # what a starved or hung thread looks like: no more pongs
    time.sleep(STALE + 0.05)
    assert not feed.live()


def test_a_lost_connection_is_not_trusted_and_the_mirror_is_refilled_on_reconnect(durable, store, replicas):
    feed = replicas()
    assert until(feed.live)
    feed._pubsub.connection.disconnect()  # the subscription's socket goes away under it
    assert until(lambda: not feed.live(), 1.0)
    missed = seed(durable, 1, dt.timedelta(hours=1), uuid.uuid4().hex[:6])  # revoked while the subscription was down
    assert until(feed.live, 10.0)  # reconnected: loaded again from PostgreSQL before trusting
    assert feed.mget(["rev:" + missed[0]]) == ["1"]


def test_more_revocations_than_the_mirror_holds_leave_it_untrusted(durable, store, replicas):
    seed(durable, 20, dt.timedelta(hours=1), uuid.uuid4().hex[:6])
    feed = replicas(max_entries=10)
    assert not until(feed.live, 1.0)


def test_an_unused_feed_lets_its_subscription_go_and_comes_back_on_the_next_check(store, replicas):
    """An idle worker holds no subscription and sends no pings; its next check reads Redis."""
    feed = replicas(idle=0.3)
    assert until(feed.live)
    time.sleep(0.3 + 1.0)
    assert feed._pid is None  # the thread ended
    assert not feed.live()  # this check falls back, and starts the thread again
    assert until(feed.live)


def test_the_announcing_process_knows_at_once(durable, store):
    """A token revoked here is refused here by the very next check, not one pub/sub hop later."""
    feed = store.feed(lambda: durable_revocations(Revocations(durable)), (VERSION,))
    try:
        assert until(feed.live)
        store.announce([("rev:jti:revoked-here", "1", 60)])
        assert feed.mget(["rev:jti:revoked-here"]) == ["1"]
    finally:
        feed.stop()
