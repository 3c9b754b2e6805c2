"""The deployment kit checked by the tools that run it: Debian's nginx (config test, then a real
TLS proxy in front of a live IdP), Prometheus' promtool (config, alert rules and their unit
tests), and the backup and health-check scripts against the live servers.

Tests needing a Debian tool skip when it is missing; .ci/run installs nginx and prometheus.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import tarfile
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOY = os.path.join(ROOT, "deploy")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
PROMTOOL = shutil.which("promtool")
needs_nginx = pytest.mark.skipif(not NGINX, reason="Debian's nginx is not installed (.ci/run installs it)")
needs_promtool = pytest.mark.skipif(not PROMTOOL, reason="promtool (Debian's prometheus) is not installed (.ci/run installs it)")


# -- nginx -----------------------------------------------------------------------
def self_signed_certificate(directory) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    (directory / "tls.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    (directory / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(directory / "tls.crt")


def local_nginx_config(tmp_path, upstream: str, upstream_conf: str | None = None) -> tuple[str, int]:
    """deploy/nginx/idp.conf as it is, with only its machine-specific paths, ports and upstream
    host rewritten for this machine, included from a minimal main config. The upstream is compose's
    (idp-upstream.compose.conf, its `idp:3001` become `upstream`) unless upstream_conf is given."""
    ssl_dir = tmp_path / "ssl"
    ssl_dir.mkdir()
    (tmp_path / "cache").mkdir()  # /var/cache/nginx exists in the nginx image
    self_signed_certificate(ssl_dir)
    https_port = free_port()
    if upstream_conf is None:
        with open(os.path.join(DEPLOY, "nginx", "idp-upstream.compose.conf")) as handle:
            upstream_conf = handle.read()
        assert "idp:3001" in upstream_conf
        upstream_conf = upstream_conf.replace("idp:3001", upstream)
    (tmp_path / "idp-upstream.conf").write_text(upstream_conf)
    with open(os.path.join(DEPLOY, "nginx", "idp.conf")) as handle:
        conf = handle.read()
    for old, new in {"/etc/nginx/idp-upstream.conf": f"{tmp_path}/idp-upstream.conf",
                     "/etc/nginx/ssl/": f"{ssl_dir}/", "/var/cache/nginx/": f"{tmp_path}/cache/",
                     "/var/log/nginx/": f"{tmp_path}/", "listen 443": f"listen 127.0.0.1:{https_port}",
                     "listen 80": f"listen 127.0.0.1:{free_port()}"}.items():
        assert old in conf, old
        conf = conf.replace(old, new)
    conf = "\n".join(line for line in conf.splitlines() if "listen [::]" not in line)
    (tmp_path / "idp.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {tmp_path}/client_body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/idp.conf;
}}
""")
    return str(tmp_path / "nginx.conf"), https_port


def nginx(conf: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([NGINX, "-c", conf, "-p", os.path.dirname(conf), *args], capture_output=True, text=True,
                          timeout=30)


@needs_nginx
def test_nginx_config_passes_nginx_t(tmp_path):
    conf, _ = local_nginx_config(tmp_path, "127.0.0.1:1")
    result = nginx(conf, "-t")
    assert result.returncode == 0, result.stderr


@pytest.fixture
def nginx_proxy(idp, tmp_path):
    """Real nginx with the deployment config, TLS, in front of the live IdP; always stopped."""
    conf, port = local_nginx_config(tmp_path, idp.url.removeprefix("http://"))
    started = nginx(conf)
    assert started.returncode == 0, started.stderr
    try:
        yield f"https://localhost:{port}", str(tmp_path / "ssl" / "tls.crt")
    finally:
        pid = int((tmp_path / "nginx.pid").read_text())
        os.kill(pid, signal.SIGTERM)  # fast shutdown: no wait for idle keep-alive connections
        for _ in range(50):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)


@needs_nginx
def test_nginx_terminates_tls_adds_security_headers_and_hides_metrics(nginx_proxy):
    base, ca = nginx_proxy
    response = requests.get(base + "/health", verify=ca, timeout=5)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.raw.headers.getlist("X-Content-Type-Options") == ["nosniff"]  # not twice
    assert len(response.headers["X-Request-ID"]) == 32  # nginx's $request_id, echoed by the IdP
    assert requests.get(base + "/metrics", verify=ca, timeout=5).status_code == 404


@needs_nginx
def test_nginx_caches_discovery_and_jwks_as_their_cache_control_allows(nginx_proxy):
    base, ca = nginx_proxy
    for path in ("/.well-known/openid-configuration", "/jwks.json"):
        first = requests.get(base + path, verify=ca, timeout=5)
        second = requests.get(base + path, verify=ca, timeout=5)
        assert first.headers["X-Cache-Status"] == "MISS" and second.headers["X-Cache-Status"] == "HIT", path
        assert second.json() == first.json()
    assert "X-Cache-Status" not in requests.get(base + "/health", verify=ca, timeout=5).headers


@needs_nginx
def test_nginx_rate_limits_the_token_endpoint_with_429(nginx_proxy):
    base, ca = nginx_proxy
    with requests.Session() as session:
        statuses = [session.post(base + "/token", data={"grant_type": "client_credentials"}, verify=ca,
                                 timeout=5).status_code for _ in range(70)]
    assert statuses[0] == 401 and 429 in statuses  # burst 50 at 10 r/s


# -- Prometheus ------------------------------------------------------------------
@needs_promtool
@pytest.mark.parametrize("args", [["check", "config", "prometheus.yml"], ["check", "rules", "alerts.yml"],
                                  ["test", "rules", "alerts.test.yml"]], ids=lambda a: " ".join(a[:2]))
def test_promtool_accepts_the_prometheus_config_and_alert_rules(args):
    result = subprocess.run([PROMTOOL, *args], cwd=os.path.join(DEPLOY, "prometheus"), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# -- scripts ---------------------------------------------------------------------
def test_health_check_script_passes_on_a_live_idp_and_fails_on_a_dead_one(idp):
    script = os.path.join(ROOT, "scripts", "health-check.sh")
    ok = subprocess.run(["bash", script, idp.url], capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("ok ") == 3
    dead = subprocess.run(["bash", script, f"http://127.0.0.1:{free_port()}"], capture_output=True, text=True,
                          timeout=30)
    assert dead.returncode == 1 and "FAIL" in dead.stdout


@pytest.mark.skipif(not shutil.which("pg_dump") or not shutil.which("redis-cli"), reason="pg_dump or redis-cli missing")
def test_backup_script_dumps_postgres_and_redis(idp, tmp_path):
    if idp.backend != "postgres":
        pytest.skip("backs up PostgreSQL and Redis")
    env = {**os.environ, "DATABASE_URL": idp.services.config.database_url, "REDIS_URL": idp.services.config.redis_url,
           "REDIS_KEY_PREFIX": idp.services.config.redis_prefix}
    result = subprocess.run(["bash", os.path.join(ROOT, "scripts", "backup.sh"), str(tmp_path)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (archive,) = tmp_path.glob("idp-*.tar.gz")
    with tarfile.open(archive) as tar:
        assert {"./database.dump", "./redis.keys"} <= set(tar.getnames())
        tar.extract("./database.dump", tmp_path)
    listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "database.dump")], capture_output=True, text=True,
                             timeout=30)
    assert "TABLE public audit_events" in listing.stdout and "TABLE public users" in listing.stdout
