"""Riding the failovers operators' HA setups perform (issue 18): a Redis Sentinel promotion, a
Redis Cluster, a PostgreSQL replica promoted while the primary stops — under load from two IdP
processes (`idp serve`), counting errors per phase and time to recovery, and checking that
nothing committed is lost: signed-in users stay signed in, one-time codes stay one-time,
revocations made before the failover hold after it."""

from __future__ import annotations

import shutil
import threading
import time
import uuid

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from idp.config import Config, ConfigError
from idp.services import build_services
from idp.store.db import normalize_url
from idp.store.redis_client import RedisUrlError, parse

from .conftest import REDIRECT_URI, Browser, LiveIdP, callback_params, serve
from .ha_servers import PostgresPair, RedisCluster, SentinelRedis, pg_tools_available
from .harness import Gunicorn, Load, free_port, wait_until
from .test_resilience import Deployment, ok

needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


# -- configuration -------------------------------------------------------------
def test_redis_url_forms_sentinel_and_cluster():
    sentinel = parse("redis+sentinel://:secret@10.0.0.1:26379,10.0.0.2/idp/3")
    assert (sentinel.kind, sentinel.hosts, sentinel.service, sentinel.db, sentinel.password) == \
        ("sentinel", (("10.0.0.1", 26379), ("10.0.0.2", 26379)), "idp", 3, "secret")
    assert parse("rediss+sentinel://a/idp").tls is True
    cluster = parse("redis+cluster://a:7000,b:7001")
    assert (cluster.kind, cluster.hosts) == ("cluster", (("a", 7000), ("b", 7001)))
    assert parse("redis://127.0.0.1:6379/0").kind == "single"


@pytest.mark.parametrize("url", ["redis+sentinel://a:26379", "redis+sentinel://a/idp/x", "memcached://a",
                                 "redis+cluster://", "redis+cluster://a:port"])
def test_a_bad_redis_url_is_a_configuration_error_naming_redis_url(url):
    with pytest.raises(RedisUrlError):
        parse(url)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        Config.from_env({"REDIS_URL": url})


def test_a_multi_host_database_url_asks_for_the_read_write_server():
    """libpq multi-host URLs (what failover managers hand out) become SQLAlchemy's host= form."""
    url = normalize_url("postgresql://idp:pw@db1:5432,db2:5433/idp?sslmode=require")
    assert url == ("postgresql+psycopg://idp:pw@/idp?host=db1:5432&host=db2:5433&sslmode=require"
                   "&target_session_attrs=read-write")
    assert "target_session_attrs=any" in normalize_url("postgresql://a,b/idp?target_session_attrs=any")
    assert normalize_url("postgresql://idp@db1:5432/idp") == "postgresql+psycopg://idp@db1:5432/idp"


# -- Redis Cluster ---------------------------------------------------------------
@needs_redis
def test_the_code_flow_refresh_logout_and_rate_limits_work_on_a_redis_cluster(tmp_path):
    """Every multi-key step keeps its keys in one slot (a code and its reuse marker share a hash
    tag); a second redemption of a code still fails and revokes what the first issued."""
    cluster = RedisCluster(tmp_path).start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    deployment = Deployment(cluster.url, url)
    live, stop = serve(dataclasses_replace(deployment.services.config, port=port))
    try:
        browser = Browser(LiveIdP("postgres", url, deployment.services, None))
        rp = OAuth2Session(deployment.rp.client_id, deployment.rp_secret, scope="openid offline_access",
                           redirect_uri=REDIRECT_URI, code_challenge_method="S256")
        verifier = generate_token(48)
        auth_url, _ = rp.create_authorization_url(url + "/authorize", code_verifier=verifier)
        code = callback_params(browser.authorize(auth_url, deployment.user.email))["code"]
        token = rp.fetch_token(url + "/token", code=code, code_verifier=verifier)
        assert token["id_token"] and token["refresh_token"]
        again = requests.post(url + "/token", auth=(deployment.rp.client_id, deployment.rp_secret), timeout=5,
                              data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                    "redirect_uri": REDIRECT_URI})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # RFC 6749 4.1.2
        assert deployment.introspect(url, token["access_token"]) == {"active": False}
        assert deployment.refresh(url, token["refresh_token"]).status_code == 400  # revoked with the reuse
        userinfo = requests.get(url + "/userinfo", timeout=5,
                                headers={"Authorization": f"Bearer {deployment.token(url)}"})
        assert userinfo.status_code in (401, 403)  # a client token names no user: refused, not a 500
        logout = browser.http.get(url + "/logout", timeout=5)
        assert logout.status_code < 500
        assert requests.get(url + "/ready", timeout=5).ok
    finally:
        stop()
        deployment.close()
        cluster.stop()


def dataclasses_replace(config, **changes):
    import dataclasses

    return dataclasses.replace(config, **changes)


# -- drills under load -------------------------------------------------------------
def two_servers(deployment: Deployment, ports: list[int], tmp_path) -> list[Gunicorn]:
    # The load refreshes one family in a loop: a response lost in the failover makes the next
    # rotation a reuse, and every one after it a refusal that would spend the /token budget.
    # The load also starts a sign-in from one address many times a minute (AUTHORIZE_RATE_LIMIT).
    deployment.env["RATE_LIMIT_MAX_REQUESTS"] = "100000"
    deployment.env["AUTHORIZE_RATE_LIMIT"] = "100000"
    return [Gunicorn(deployment.env, p, workers=1, log_path=str(tmp_path / f"idp-{p}.log")).start(timeout=60)
            for p in ports]


def load_kinds(deployment: Deployment, urls: list[str], token: str, cookie: dict) -> dict:
    kinds = {}
    for n, url in enumerate(urls):
        for kind, make in deployment.kinds(url, token, cookie).items():
            kinds[f"{kind}@{n}"] = make
    return kinds


def phase_errors(load: Load, phases: dict[str, tuple[float, float]]) -> dict[str, int]:
    return {name: sum(1 for s in load.between(a, b) if not ok(s)) for name, (a, b) in phases.items()}


def recovered_at(load: Load, since: float) -> float | None:
    """The start of the last failed request after `since`: recovery is measured to it."""
    failed = [s.started for s in load.samples if s.started >= since and not ok(s)]
    return max(failed) if failed else since


def assert_rode_the_failover(load: Load, drill: str, failed_at: float, switched_at: float, end: float,
                             tail_seconds: float, not_recovered: str) -> None:
    """No 500 and no unanswered request; recovery within 5 s; the last seconds all answered well."""
    assert not [s for s in load.samples if s.status == 500], "a 500 during the failover"
    assert all(s.status is not None for s in load.samples), "a request got no answer"
    recovery = recovered_at(load, failed_at) - failed_at
    errors = phase_errors(load, {"before": (0, failed_at), "failover": (failed_at, switched_at),
                                 "after": (switched_at, end)})
    print(f"{drill}: {len(load.samples)} requests, errors per phase {errors}, recovery {recovery * 1000:.0f} ms")
    assert recovery < 5, f"recovery took {recovery:.1f}s"
    tail = load.between(end - tail_seconds, end)
    assert tail and all(ok(s) for s in tail), not_recovered


@needs_redis
def test_sentinel_failover_under_load_keeps_sessions_codes_and_revocations(tmp_path):
    sentinel = SentinelRedis(tmp_path).start()
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    deployment = Deployment(sentinel.url, urls[0])
    servers = two_servers(deployment, ports, tmp_path)
    try:
        tokens, browser_http = deployment.code_flow(urls[0])
        revoked = deployment.token(urls[0])
        requests.post(urls[0] + "/revoke", data={"token": revoked}, timeout=5,
                      auth=(deployment.service.client_id, deployment.service_secret))
        cookie = {"idp_session": browser_http.cookies.get("idp_session")}
        # A code issued before the failover, redeemed after it: once.
        rp = OAuth2Session(deployment.rp.client_id, deployment.rp_secret, scope="openid",
                           redirect_uri=REDIRECT_URI, code_challenge_method="S256")
        verifier = generate_token(48)
        auth_url, _ = rp.create_authorization_url(urls[1] + "/authorize", code_verifier=verifier)
        code = callback_params(requests.get(auth_url, cookies=cookie, allow_redirects=False, timeout=5))["code"]
        time.sleep(1.5)  # replication of the last writes (asynchronous, as in production)

        with Load(load_kinds(deployment, urls, deployment.token(urls[0]), cookie), threads=4) as load:
            time.sleep(2)
            killed_at = time.monotonic()
            old = sentinel.kill_primary()
            promoted = wait_until(lambda: sentinel.primary() != old, 15)
            promoted_at = time.monotonic()
            time.sleep(4)
            end = time.monotonic()
        assert promoted is not None, "Sentinel never promoted the replica"
        assert_rode_the_failover(load, f"sentinel drill (promotion {promoted:.2f}s)", killed_at, promoted_at, end, 1.5,
                                 "not recovered after the promotion")

        # Signed in still, on both replicas; the code once; the revocation holds.
        for url in urls:
            again = requests.get(auth_url.replace(urls[1], url), cookies=cookie, allow_redirects=False, timeout=5)
            assert "code=" in again.headers.get("Location", ""), "the session did not survive the failover"
        first = rp.fetch_token(urls[0] + "/token", code=code, code_verifier=verifier)
        assert first["access_token"]
        second = requests.post(urls[1] + "/token", auth=(deployment.rp.client_id, deployment.rp_secret), timeout=5,
                               data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                     "redirect_uri": REDIRECT_URI})
        assert second.status_code == 400
        assert deployment.introspect(urls[1], revoked) == {"active": False}
        assert deployment.refresh(urls[1], tokens["refresh_token"]).status_code == 200
    finally:
        for server in servers:
            server.stop()
        deployment.close()
        sentinel.stop()


def database_kinds(deployment: Deployment, urls: list[str]) -> dict:
    """Requests that need PostgreSQL on every call: introspecting a refresh token (a read) and
    rotating a refresh-token family (a write; one rotation at a time, so the family is never
    reused by the load itself)."""
    chain_tokens, _ = deployment.code_flow(urls[0])
    chain, lock = {"refresh_token": chain_tokens["refresh_token"]}, threading.Lock()
    kept = deployment.code_flow(urls[0])[0]["refresh_token"]

    def rotate(http, timeout, url):
        with lock:
            response = http.post(url + "/token", auth=(deployment.rp.client_id, deployment.rp_secret), timeout=timeout,
                                 data={"grant_type": "refresh_token", "refresh_token": chain["refresh_token"]})
            if response.status_code == 200:
                chain["refresh_token"] = response.json()["refresh_token"]
            return response

    kinds = {}
    for n, url in enumerate(urls):
        kinds[f"rotate@{n}"] = lambda h, t, url=url: rotate(h, t, url)
        kinds[f"introspect-refresh@{n}"] = lambda h, t, url=url: h.post(
            url + "/introspect", data={"token": kept}, timeout=t,
            auth=(deployment.service.client_id, deployment.service_secret))
    return kinds


@pytest.mark.skipif(not pg_tools_available(), reason="needs PostgreSQL 15's initdb, pg_ctl and pg_basebackup")
def test_postgres_failover_under_load_loses_nothing_committed(tmp_path):
    from .harness import RedisServer

    pair = PostgresPair(tmp_path).start()
    redis_server = RedisServer(free_port()).start()
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    deployment = Deployment(redis_server.url, urls[0], database_url=pair.url)
    servers = two_servers(deployment, ports, tmp_path)
    try:
        tokens, browser_http = deployment.code_flow(urls[0])
        revoked = deployment.token(urls[0])
        requests.post(urls[0] + "/revoke", data={"token": revoked}, timeout=5,
                      auth=(deployment.service.client_id, deployment.service_secret))
        cookie = {"idp_session": browser_http.cookies.get("idp_session")}
        committed = deployment.services.users.create(f"kept-{uuid.uuid4().hex[:6]}@example.com", None)
        assert wait_until(pair.replica_lag_zero, 10) is not None, "the replica never caught up"

        kinds = load_kinds(deployment, urls, deployment.token(urls[0]), cookie)
        kinds.update(database_kinds(deployment, urls))
        with Load(kinds, threads=4) as load:
            time.sleep(2)
            failover_at = time.monotonic()
            pair.promote_replica()
            pair.stop_primary()
            switched_at = time.monotonic()
            time.sleep(5)
            end = time.monotonic()
        assert_rode_the_failover(load, "postgres drill", failover_at, switched_at, end, 2,
                                 "not recovered after the failover")

        fresh = build_services(deployment.services.config)
        try:
            assert fresh.users.by_id(committed.id) is not None, "a committed user was lost"
            assert fresh.clients.get(deployment.rp.client_id) is not None
        finally:
            fresh.db.dispose()
        assert deployment.introspect(urls[1], revoked) == {"active": False}
        refreshed = deployment.refresh(urls[1], tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        again = requests.get(f"{urls[1]}/authorize?response_type=code&client_id={deployment.rp.client_id}"
                             f"&scope=openid&redirect_uri={REDIRECT_URI}&code_challenge={'a' * 43}"
                             "&code_challenge_method=S256", cookies=cookie, allow_redirects=False, timeout=5)
        assert "code=" in again.headers.get("Location", "")
    finally:
        for server in servers:
            server.stop()
        deployment.close()
        redis_server.stop()
        pair.stop()
