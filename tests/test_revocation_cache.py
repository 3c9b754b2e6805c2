"""The revocation cache after Redis lost it (issue 16): a revoked token stays revoked meanwhile
(RFC 7009 2.2: a revoked token must not be accepted again), the rebuild runs off the request
path, in pages with pipelined writes, one replica at a time. Real PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
import requests
from sqlalchemy import insert

from idp.store.ephemeral import RedisStore
from idp.store.models import Revocation, utcnow
from idp.store.refresh_tokens import Revocations
from idp.tokens.revocation_cache import LEASE, LOADED, RevocationCache

from .conftest import REDIS_URL
from .databases import migrated_database


@pytest.fixture(scope="module")
def durable(tmp_path_factory):
    with migrated_database("postgres", "revcache", tmp_path_factory) as (db, _):
        yield db


@pytest.fixture
def store():
    store = RedisStore(REDIS_URL, f"idptest:revcache:{uuid.uuid4().hex[:8]}:")
    yield store
    store.flush_prefix()


def seed(db, n: int, expires_in: dt.timedelta, prefix: str) -> list[str]:
    ids = [f"jti:{prefix}{i:06d}" for i in range(n)]
    with db.session() as session:
        session.execute(insert(Revocation), [dict(id=i, kind="jti", expires_at=utcnow() + expires_in,
                                                  created_at=utcnow()) for i in ids])
    return ids


def test_rebuild_loads_every_active_revocation_in_pages_and_then_sets_the_marker(durable, store):
    active = seed(durable, 1234, dt.timedelta(hours=1), uuid.uuid4().hex[:6])
    expired = seed(durable, 5, dt.timedelta(seconds=-5), uuid.uuid4().hex[:6])
    pages = []
    revocations = Revocations(durable)
    original = revocations.active_page
    revocations.active_page = lambda after, limit: pages.append(after) or original(after, limit)
    cache = RevocationCache(store, revocations, page=500)
    assert cache.rebuild() >= 1234
    assert len(pages) >= 3 and pages[0] is None  # bounded pages, each after the last id seen
    assert all(store.mget(["rev:" + i for i in active]))
    assert not any(store.mget(["rev:" + i for i in expired]))
    assert store.get(LOADED) == "1" and store.get(LEASE) is None


def test_one_rebuild_at_a_time_across_replicas(durable, store):
    seed(durable, 3, dt.timedelta(hours=1), uuid.uuid4().hex[:6])
    store.set(LEASE, "another-replica", 60)
    assert RevocationCache(store, Revocations(durable)).rebuild() is None
    assert store.get(LOADED) is None
    store.delete(LEASE)
    assert RevocationCache(store, Revocations(durable)).rebuild() >= 3


def test_after_redis_loses_the_cache_a_revoked_token_stays_revoked_and_the_cache_comes_back(idp):
    """RFC 7009 2.2 / RFC 7662 2.2: introspection says inactive for a revoked token, cache or no cache.
    (The server's feed is stopped meanwhile: while it is live, checks never read the Redis cache.)"""
    if idp.backend != "postgres":
        pytest.skip("the cache lives in Redis")
    feed = idp.services.tokens.feed
    feed.stop()
    try:
        time.sleep(0.2)
        assert not feed.live()
        revoked_while_the_cache_is_lost(idp)
    finally:
        feed.resume()


def revoked_while_the_cache_is_lost(idp):
    client, secret = idp.create_client(redirect_uris=[], name="Service")
    auth = (client.client_id, secret)
    token = requests.post(idp.endpoint("/token"), data={"grant_type": "client_credentials"}, auth=auth,
                          timeout=10).json()["access_token"]
    assert requests.post(idp.endpoint("/revoke"), data={"token": token}, auth=auth, timeout=10).status_code == 200
    claims = idp.services.tokens.validate_access_token(token).claims
    idp.services.store.delete(LOADED, "rev:jti:" + claims["jti"])  # what a Redis restart leaves
    tokens = idp.services.tokens
    answer = requests.post(idp.endpoint("/introspect"), data={"token": token}, auth=auth, timeout=10).json()
    assert answer == {"active": False}  # answered from the durable list while the cache is rebuilt
    tokens.revocation_cache.wait(30)
    assert idp.services.store.get(LOADED) == "1"
    assert idp.services.store.get("rev:jti:" + claims["jti"]) == "1"
