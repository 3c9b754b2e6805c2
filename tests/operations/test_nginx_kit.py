"""deploy/nginx run for real in front of live IdPs: a revoked signing key leaves the JWKS served
through nginx within a second; a refusal (429) says when to retry, in JSON for the OAuth
endpoints; every endpoint a flood could hurt has a limit, and an office behind one address can
sign in; the shipped upstream carries a rolling deploy as docs/operations.md tells it; and the
shipped files pass `nginx -t` as they are, with the names they expect resolvable."""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from urllib3.util.retry import Retry

from ..conftest import free_port, serve, start_idp, start_replica
from ..test_deploy_tools import NGINX, local_nginx_config, nginx, self_signed_certificate
from ..test_keys import client_credentials_token, kid_of

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NGINX_DIR = os.path.join(ROOT, "deploy", "nginx")
pytestmark = pytest.mark.skipif(not NGINX, reason="Debian's nginx is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """An IdP of this module's own (its keys get revoked), on PostgreSQL and Redis."""
    live, stop = start_idp("postgres", tmp_path_factory, database_suffix=f"_ngx{uuid.uuid4().hex[:6]}")
    yield live
    stop()


class Proxy:
    def __init__(self, tmp_path, upstream: str, upstream_conf: str | None = None):
        self.tmp = tmp_path
        self.conf, port = local_nginx_config(tmp_path, upstream, upstream_conf)
        self.base, self.ca = f"https://localhost:{port}", str(tmp_path / "ssl" / "tls.crt")
        started = nginx(self.conf)
        assert started.returncode == 0, started.stderr

    def get(self, path, **kwargs):
        return requests.get(self.base + path, verify=self.ca, timeout=5, **kwargs)

    def post(self, path, **kwargs):
        return requests.post(self.base + path, verify=self.ca, timeout=5, **kwargs)

    def reload(self):
        checked = nginx(self.conf, "-t")
        assert checked.returncode == 0, checked.stderr
        reloaded = nginx(self.conf, "-s", "reload")
        assert reloaded.returncode == 0, reloaded.stderr
        time.sleep(0.5)  # the new workers take over

    def stop(self):
        pid = int((self.tmp / "nginx.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)


@pytest.fixture
def proxy(backend, tmp_path):
    running = Proxy(tmp_path, backend.url.removeprefix("http://"))
    yield running
    running.stop()


def jwks_kids(response) -> set[str]:
    return {key["kid"] for key in response.json()["keys"]}


def test_a_revoked_key_leaves_the_jwks_served_through_nginx_within_a_second(backend, proxy):
    service, secret = backend.create_client(name="Revoker", redirect_uris=[], grant_types=["client_credentials"],
                                            scope="api:read")
    kid = kid_of(client_credentials_token(backend, service, secret))
    first, second = proxy.get("/jwks.json"), proxy.get("/jwks.json")
    assert kid in jwks_kids(first) and second.headers["X-Cache-Status"] == "HIT"  # nginx does cache it
    revoked = subprocess.run([sys.executable, "-m", "idp.cli", "keys", "revoke", kid], env=backend.cli_env(),
                             capture_output=True, text=True, timeout=60)
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    started = time.monotonic()
    while kid in jwks_kids(proxy.get("/jwks.json")):
        assert time.monotonic() - started < 2.0, "the revoked key is still published through nginx"
        time.sleep(0.1)
    time.sleep(1.2)
    later = proxy.get("/jwks.json")
    assert kid not in jwks_kids(later) and later.headers["X-Cache-Status"] in ("REVALIDATED", "EXPIRED", "HIT")


def assert_retry_later(response, content_type: str):
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Content-Type"].startswith(content_type)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the security headers stay
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def burst(proxy, method: str, paths: list[str], **kwargs) -> list[requests.Response]:
    """The requests sent sixteen at a time: faster than any zone's rate even on a busy machine
    (one after the other, a slow answer would let the bucket refill and hide the limit)."""
    def send(path):
        return requests.request(method, proxy.base + path, verify=proxy.ca, timeout=30, allow_redirects=False,
                                **kwargs)

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(send, paths))


def test_nginx_limits_introspect_revoke_and_registration_with_an_oauth_error_and_retry_after_rfc6749_5_2(proxy):
    registrations = burst(proxy, "POST", ["/connect/register"] * 16, json={"redirect_uris": ["https://rp/cb"]})
    statuses = [r.status_code for r in registrations]
    assert statuses.count(429) >= 5 and len(statuses) - statuses.count(429) >= 1, statuses  # burst 10, then refused
    refused = next(r for r in registrations if r.status_code == 429)
    assert_retry_later(refused, "application/json")
    assert refused.json()["error"] == "too_many_requests" and refused.json()["error_description"]
    checks = burst(proxy, "POST", ["/introspect", "/revoke"] * 150, data={"token": "x"})
    statuses = [r.status_code for r in checks]
    assert 429 in statuses and statuses.count(429) < len(statuses), statuses
    refused = next(r for r in checks if r.status_code == 429)
    assert_retry_later(refused, "application/json")
    assert refused.json()["error"] == "too_many_requests"


def test_nginx_limits_the_second_factor_page_and_answers_people_with_a_page_and_retry_after(proxy):
    pages = burst(proxy, "GET", ["/login/mfa"] * 200)
    statuses = [r.status_code for r in pages]
    assert 429 in statuses and statuses.count(429) < len(statuses), statuses
    refused = next(r for r in pages if r.status_code == 429)
    assert_retry_later(refused, "text/html")
    assert "Too many requests" in refused.text


def test_an_office_behind_one_address_signs_in_many_people_a_minute(proxy):
    """About 60 people arriving at once behind one NAT address: their /authorize and /login
    requests (the old shared 30/min budget refused all but the first 20) pass."""
    with requests.Session() as session:
        statuses = []
        for _ in range(60):
            statuses.append(session.get(proxy.base + "/authorize?client_id=x", verify=proxy.ca, timeout=5,
                                        allow_redirects=False).status_code)
            statuses.append(session.get(proxy.base + "/login", verify=proxy.ca, timeout=5,
                                        allow_redirects=False).status_code)
    assert 429 not in statuses, statuses


def test_the_rolling_deploy_runbook_with_the_shipped_upstream_loses_no_request(backend, tmp_path):
    """docs/operations.md, "Rolling deploys behind nginx", step by step with deploy/nginx/idp-upstream.conf
    (its two instances' ports mapped to two live replicas) while requests flow."""
    replicas = [start_replica(backend), start_replica(backend)]
    with open(os.path.join(NGINX_DIR, "idp-upstream.conf")) as handle:
        shipped = handle.read()
    ports = [int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", shipped)]
    assert ports == [3001, 3002]
    live_ports = [int(live.url.rsplit(":", 1)[1]) for live, _ in replicas]

    def upstream(down: int | None) -> str:
        text = shipped
        for n, (old, new) in enumerate(zip(ports, live_ports)):
            text = text.replace(f"127.0.0.1:{old} ", f"127.0.0.1:{new} " + ("down " if n == down else ""))
        return text

    proxy = Proxy(tmp_path, "", upstream(None))
    failures, served, stop_load = [], [], threading.Event()

    def load():
        with requests.Session() as session:
            # A reload closes the old workers' idle keep-alive connections; a request sent on one at
            # that instant gets no answer, and a browser sends it again on a new connection (RFC 9112
            # 9.3.1: idempotent requests may be retried). One such retry is a browser's behaviour, not
            # a lost request: nginx finishes every request it has begun reading during a reload.
            retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"})
            session.mount("https://", requests.adapters.HTTPAdapter(max_retries=retry))
            while not stop_load.is_set():
                try:
                    response = session.get(proxy.base + "/ready", verify=proxy.ca, timeout=5)
                    (served if response.status_code == 200 else failures).append(response.status_code)
                except requests.RequestException as exc:
                    failures.append(repr(exc))

    worker = threading.Thread(target=load)
    worker.start()
    try:
        for n in range(2):
            (tmp_path / "idp-upstream.conf").write_text(upstream(down=n))  # mark it down, reload
            proxy.reload()
            live, stop = replicas[n]
            stop()  # SIGTERM: it drains
            config = live.services.config
            replicas[n] = serve(config)  # the new version, same port
            assert requests.get(replicas[n][0].url + "/ready", timeout=5).status_code == 200
            (tmp_path / "idp-upstream.conf").write_text(upstream(down=None))  # put it back
            proxy.reload()
            time.sleep(0.5)
    finally:
        stop_load.set()
        worker.join()
        proxy.stop()
        for _, stop in replicas:
            stop()
    assert len(served) > 20 and failures == [], failures[:5]


UNSHARE = shutil.which("unshare")


@pytest.mark.skipif(not UNSHARE, reason="util-linux unshare missing")
@pytest.mark.parametrize("upstream", ["idp-upstream.compose.conf", "idp-upstream.conf"])
def test_the_shipped_nginx_files_pass_nginx_t_unchanged_with_their_names_resolvable(tmp_path, upstream):
    """No rewriting: in a private mount namespace /etc/hosts names compose's `idp`, and the
    shipped upstream and a certificate sit where idp.conf expects them, as compose mounts them."""
    ssl_dir = tmp_path / "ssl"
    ssl_dir.mkdir()
    self_signed_certificate(ssl_dir)
    (tmp_path / "hosts").write_text("127.0.0.1 localhost\n127.0.0.1 idp\n")
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 64; }}
http {{ include {NGINX_DIR}/idp.conf; }}
""")
    etc = tmp_path / "etc-nginx"  # mounted over /etc/nginx in the namespace only: the host's is untouched
    etc.mkdir()
    shutil.copytree(ssl_dir, etc / "ssl")
    shutil.copy(os.path.join(NGINX_DIR, upstream), etc / "idp-upstream.conf")
    (tmp_path / "cache").mkdir()
    script = (f"mount --bind {tmp_path}/hosts /etc/hosts && mount --bind {etc} /etc/nginx && "
              f"mkdir -p /var/cache/nginx && mount --bind {tmp_path}/cache /var/cache/nginx && "
              f"getent hosts idp && exec {NGINX} -t -c {tmp_path}/nginx.conf")
    result = subprocess.run([UNSHARE, "-m", "sh", "-c", script], capture_output=True, text=True, timeout=30)
    if result.returncode != 0 and "mount" in result.stderr and "permission" in result.stderr.lower():
        pytest.skip("no private mount namespace here: " + result.stderr.strip())
    assert result.returncode == 0 and "test is successful" in result.stderr, result.stdout + result.stderr


# -- the health scripts behind TLS with a private CA -------------------------------------
def script(name: str) -> str:
    return os.path.join(ROOT, "scripts", name)


def test_health_check_and_monitor_trust_a_private_ca_given_with_cacert(proxy):
    without = subprocess.run([script("health-check.sh"), proxy.base], capture_output=True, text=True, timeout=60)
    assert without.returncode == 1  # the system's CAs do not know this one
    checked = subprocess.run([script("health-check.sh"), "--cacert", proxy.ca, proxy.base], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0 and checked.stdout.count("ok ") == 3, checked.stdout + checked.stderr
    from_env = subprocess.run([script("health-check.sh"), proxy.base], env={**os.environ, "IDP_CACERT": proxy.ca},
                              capture_output=True, text=True, timeout=60)
    assert from_env.returncode == 0, from_env.stdout
    monitored = subprocess.run([script("health-monitor.sh"), "--url", proxy.base, "--cacert", proxy.ca,
                                "--max-checks", "1"], capture_output=True, text=True, timeout=60)
    assert monitored.returncode == 0 and "ok    health=200 ready=200" in monitored.stdout, monitored.stdout
    missing = subprocess.run([script("health-check.sh"), "--cacert", "/nonexistent/ca.pem", proxy.base],
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "cannot read the CA file" in missing.stderr
