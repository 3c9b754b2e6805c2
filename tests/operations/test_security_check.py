"""scripts/security-check.sh against real servers and trees: a local nginx that accepts TLS 1.0
and 1.1 (and one that does not), Redis URLs with a password only (compose's own form), and
secrets shown masked, never in full."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from ..conftest import free_port
from ..test_deploy_tools import NGINX, self_signed_certificate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "security-check.sh")


def security_check(*args) -> subprocess.CompletedProcess:
    return subprocess.run([SCRIPT, "--skip-audit", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def tls_server(tmp_path):
    """A local nginx answering like the IdP's pages over TLS with the protocols asked for."""
    running = []

    def start(protocols: str, ciphers: str):
        directory = tmp_path / f"nginx{len(running)}"
        directory.mkdir()
        ca = self_signed_certificate(directory)
        port = free_port()
        (directory / "nginx.conf").write_text(f"""
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 16; }}
http {{
    client_body_temp_path {directory}/tmp; proxy_temp_path {directory}/tmp; fastcgi_temp_path {directory}/tmp;
    uwsgi_temp_path {directory}/tmp; scgi_temp_path {directory}/tmp;
    access_log off;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {directory}/tls.crt;
        ssl_certificate_key {directory}/tls.key;
        ssl_protocols {protocols};
        ssl_ciphers '{ciphers}';
        add_header Strict-Transport-Security "max-age=31536000" always;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Frame-Options DENY always;
        add_header Content-Security-Policy "default-src 'self'" always;
        add_header Referrer-Policy no-referrer always;
        location = /metrics {{ return 404; }}
        location / {{ return 200 "ok"; }}
    }}
}}
""")
        started = subprocess.run([NGINX, "-c", str(directory / "nginx.conf"), "-p", str(directory)],
                                 capture_output=True, text=True, timeout=30)
        assert started.returncode == 0, started.stderr
        running.append(directory)
        return f"https://localhost:{port}", ca

    yield start
    for directory in running:
        pid = int((directory / "nginx.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)


@pytest.mark.skipif(not NGINX, reason="Debian's nginx is not installed (.ci/run installs it)")
def test_security_check_fails_a_server_accepting_tls_1_0_and_1_1_rfc8996(tls_server, tmp_path):
    url, ca = tls_server("TLSv1 TLSv1.1 TLSv1.2", "DEFAULT:@SECLEVEL=0")
    (tmp_path / "tree").mkdir()
    result = security_check("--root", str(tmp_path / "tree"), "--url", url, "--cacert", ca)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL  TLS: the server accepts TLS 1.0 TLS 1.1" in result.stdout, result.stdout


@pytest.mark.skipif(not NGINX, reason="Debian's nginx is not installed (.ci/run installs it)")
def test_security_check_passes_a_server_of_tls_1_2_and_1_3_only(tls_server, tmp_path):
    url, ca = tls_server("TLSv1.2 TLSv1.3", "DEFAULT:@SECLEVEL=0")  # old ciphers offered, old protocols not
    (tmp_path / "tree").mkdir()
    result = security_check("--root", str(tmp_path / "tree"), "--url", url, "--cacert", ca)
    assert "ok    TLS: nothing older than TLS 1.2" in result.stdout, result.stdout
    assert "ok    TLS: the certificate verifies" in result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_security_check_finds_password_only_redis_urls_and_never_prints_a_secret_in_full(tmp_path):
    # Made at run time, so that this file holds none of them (the check scans the repository too).
    secrets = {"redis_pw": "Sup3rSecret" + "RedisPassw0rd", "pg_pw": "An0therDb" + "Passw0rdValue",
               "session": "sessionsecret" + "value0123456789abcdef", "aws": "AK" + "IAABCDEFGHIJKLMNOP"}
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "compose.env").write_text(f"REDIS_URL=redis://:{secrets['redis_pw']}@redis:6379/0\n"
                                      f"CACHE=rediss://:{secrets['redis_pw']}@cache.internal:6380/1\n")
    (tree / "settings.py").write_text(f'DB = "postgresql://idp:{secrets["pg_pw"]}@db/idp"\n'
                                      f'SESSION_SECRET = "{secrets["session"]}"\nKEY = "{secrets["aws"]}"\n')
    (tree / "ok.yaml").write_text("REDIS_URL: redis://:${REDIS_PASSWORD}@redis:6379/0\n")  # a reference, no secret
    result = security_check("--root", str(tree))
    assert result.returncode == 1
    assert "FAIL  possible secrets" in result.stdout
    for where in ("compose.env:1:", "compose.env:2:", "settings.py:1:", "settings.py:2:", "settings.py:3:"):
        assert where in result.stdout, (where, result.stdout)
    assert "ok.yaml" not in result.stdout
    for value in secrets.values():
        assert value not in result.stdout + result.stderr, value
    assert "redis://:****@redis" in result.stdout and "SESSION_SECRET = \"sess****" in result.stdout
