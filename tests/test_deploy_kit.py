"""The rest of the deployment kit (issue 10): cloud targets, Redis and Logstash configs, and the
operator scripts under scripts/ and bench/, each checked by what runs it.

Docker, kubectl and the cloud CLIs are not here: the scripts that need them are checked for their
--help, their argument and variable checks, and a clear failure when the tool is missing.
shellcheck (Debian's, .ci/run installs it) lints every script.
"""

from __future__ import annotations

import base64
import dataclasses
import glob
import hashlib
import http.server
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import uuid

import pytest
import requests
import yaml

from .conftest import REDIS_URL, Browser, callback_params, free_port, pg_database, serve, start_replica
from .test_deploy_manifests import ROOT, k8s, variables_the_app_reads
from .test_keys import client_credentials_token, kid_of

SCRIPTS = sorted(glob.glob(os.path.join(ROOT, "scripts", "*.sh")) + glob.glob(os.path.join(ROOT, "bench", "*.sh")))
SHELLCHECK = shutil.which("shellcheck")
REDIS_SERVER = shutil.which("redis-server")
CLOUD = os.path.join(ROOT, "deploy", "cloud")


def script(name: str) -> str:
    return os.path.join(ROOT, "scripts", name)


def run(args, env=None, timeout=60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, **kwargs)


def only_postgres(idp):
    if idp.backend != "postgres":
        pytest.skip("needs the PostgreSQL + Redis deployment")


# -- every script ----------------------------------------------------------------
def test_the_kit_has_every_script_the_guide_names():
    names = {os.path.relpath(p, ROOT) for p in SCRIPTS}
    assert {f"scripts/{n}.sh" for n in ("deploy-docker", "deploy-k8s", "backup", "restore", "update",
                                         "health-monitor", "security-check", "health-check")} <= names
    assert {"bench/ab.sh", "bench/wrk.sh"} <= names


@pytest.mark.skipif(not SHELLCHECK, reason="shellcheck is not installed (.ci/run installs Debian's)")
def test_every_script_is_shellcheck_clean():
    result = run([SHELLCHECK, "--severity=style", *SCRIPTS])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: os.path.relpath(p, ROOT))
def test_every_script_is_strict_executable_and_has_help(path):
    with open(path) as handle:
        text = handle.read()
    assert text.startswith("#!/usr/bin/env bash\n") and "\nset -euo pipefail\n" in text
    assert os.access(path, os.X_OK)
    result = run([path, "--help"], timeout=10)
    assert result.returncode == 0 and len(result.stdout.splitlines()) >= 2, result.stdout + result.stderr
    assert os.path.relpath(path, ROOT) in result.stdout  # the usage line names the script


# -- backup and restore ------------------------------------------------------------
@pytest.mark.skipif(not all(map(shutil.which, ("pg_dump", "pg_restore", "psql", "redis-cli"))),
                    reason="PostgreSQL client tools or redis-cli missing")
def test_backup_then_restore_into_a_fresh_database_signs_in_the_same_users_and_clients(idp, tmp_path):
    only_postgres(idp)
    email = f"restore-{uuid.uuid4().hex[:8]}@example.com"
    idp.create_user(email)
    service, secret = idp.create_client(name="Service", redirect_uris=[], grant_types=["client_credentials"],
                                        scope="api:read")
    webapp, web_secret = idp.create_client(name="Web", trusted=True)
    kid_before = kid_of(client_credentials_token(idp, service, secret))

    env = {**os.environ, "DATABASE_URL": idp.services.config.database_url, "REDIS_URL": idp.services.config.redis_url,
           "KEEP": "2", "BACKUP_UPLOAD": f"cp --target-directory={tmp_path}"}
    backups = tmp_path / "backups"
    backups.mkdir()
    for stale in ("idp-20000101-000000.tar.gz", "idp-20000102-000000.tar.gz"):
        (backups / stale).write_bytes(b"old")
    made = run([script("backup.sh"), str(backups)], env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    archive = made.stdout.strip().splitlines()[-1].removeprefix("backup: ")
    assert sorted(p.name for p in backups.iterdir()) == ["idp-20000102-000000.tar.gz", os.path.basename(archive)]
    assert (tmp_path / os.path.basename(archive)).exists()  # the upload command got it
    assert oct(os.stat(archive).st_mode & 0o777) == "0o600"

    restored_url, drop = pg_database("_restored")
    try:
        env = {**os.environ, "DATABASE_URL": restored_url, "PATH": os.path.dirname(shutil.which("pg_restore")) + ":"
               + os.environ["PATH"]}
        restored = run([script("restore.sh"), "--redis-rdb", str(tmp_path / "dump.rdb"), archive], env=env,
                       timeout=120)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert (tmp_path / "dump.rdb").read_bytes().startswith(b"REDIS")
        again = run([script("restore.sh"), archive], env=env, timeout=60)
        assert again.returncode == 1 and "--force" in again.stderr  # never over a live database by accident

        # The same deployment (same KEY_ENCRYPTION_KEY), on the restored database and an empty Redis prefix.
        config = dataclasses.replace(idp.services.config, port=free_port(), database_url=restored_url,
                                     redis_prefix=f"idptest:restored:{uuid.uuid4().hex[:6]}:")
        live, stop = serve(config)
        try:
            assert kid_of(client_credentials_token(live, service, secret)) == kid_before
            verifier = secrets.token_urlsafe(48)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            params = callback_params(Browser(live).authorize(
                live.endpoint("/authorize?") + f"response_type=code&client_id={webapp.client_id}"
                f"&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&scope=openid&state=s1"
                f"&code_challenge={challenge}&code_challenge_method=S256", email))
            tokens = requests.post(live.endpoint("/token"), auth=(webapp.client_id, web_secret), timeout=5,
                                   data={"grant_type": "authorization_code", "code": params["code"],
                                         "redirect_uri": "http://127.0.0.1:8080/callback",
                                         "code_verifier": verifier})
            assert tokens.status_code == 200, tokens.text
            assert kid_of(tokens.json()["id_token"]) == kid_before
        finally:
            stop()
            live.services.store.flush_prefix()
    finally:
        drop()


def test_restore_refuses_a_missing_archive_or_a_corrupt_one(tmp_path):
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    assert "which archive" in run([script("restore.sh")], env=env).stderr
    assert "no such file" in run([script("restore.sh"), str(tmp_path / "nope.tar.gz")], env=env).stderr
    (tmp_path / "database.dump").write_text("x")
    (tmp_path / "SHA256SUMS").write_text("0" * 64 + "  ./database.dump\n")
    subprocess.run(["tar", "-czf", str(tmp_path / "bad.tar.gz"), "-C", str(tmp_path), "database.dump", "SHA256SUMS"],
                   check=True)
    bad = run([script("restore.sh"), str(tmp_path / "bad.tar.gz")], env=env)
    assert bad.returncode == 1 and "checksum mismatch" in bad.stderr


# -- health monitor ----------------------------------------------------------------
class WebhookReceiver(http.server.ThreadingHTTPServer):
    """A local chat webhook: records every JSON body POSTed to it."""

    def __init__(self):
        self.received: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.shutdown()
    receiver.server_close()


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_health_monitor_alerts_through_the_webhook_when_the_server_stops(idp, webhook, tmp_path):
    replica, stop = start_replica(idp)  # a server of our own to stop
    log = open(tmp_path / "monitor.log", "w+")
    monitor = subprocess.Popen([script("health-monitor.sh"), "--url", replica.url, "--interval", "0.2",
                                "--failures", "3", "--webhook", webhook.url, "--max-checks", "200"],
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: (tmp_path / "monitor.log").read_text().count(" ok ") >= 3), \
            (tmp_path / "monitor.log").read_text()
        assert webhook.received == []  # healthy: no alert
        stop()
        assert wait_for(lambda: webhook.received), (tmp_path / "monitor.log").read_text()
        time.sleep(1)  # the outage goes on: still one alert, not one per check
        (alert,) = webhook.received
        assert alert["status"] == "down" and alert["url"] == replica.url and "3 checks in a row" in alert["text"]
        assert (tmp_path / "monitor.log").read_text().count("FAIL") >= 3
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)
        log.close()


def test_health_monitor_stops_after_max_checks_and_rejects_bad_arguments(idp):
    ok = run([script("health-monitor.sh"), "--url", idp.url, "--interval", "0", "--max-checks", "2"], timeout=20)
    assert ok.returncode == 0 and ok.stdout.count(" ok ") == 2, ok.stdout + ok.stderr
    for args in (["--failures", "0"], ["--interval", "soon"], ["--bogus"]):
        bad = run([script("health-monitor.sh"), *args], timeout=10)
        assert bad.returncode == 2 and bad.stderr, args


# -- security check ----------------------------------------------------------------
def test_security_check_passes_on_the_repository_and_a_live_idp(idp, tmp_path):
    if idp.backend != "postgres":
        pytest.skip("the same pages on both backends")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "pip-audit").write_text("#!/bin/sh\necho 'No known vulnerabilities found'\n")
    (fake_bin / "pip-audit").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"}
    result = run([script("security-check.sh"), "--url", idp.url], env=env, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    for line in ("ok    X-Content-Type-Options: nosniff", "ok    Content-Security-Policy is set",
                 "ok    framing is refused", "ok    /metrics is not public (HTTP 401)", "ok    pip-audit",
                 "WARN  plain HTTP (acceptable only on loopback", "ok    no private key, cloud key"):
        assert line in result.stdout, (line, result.stdout)


def test_security_check_fails_on_exposed_secrets_a_vulnerable_dependency_and_plain_http(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".env").write_text("SESSION_SECRET=" + "s" * 40 + "\n")
    (tree / ".env").chmod(0o644)
    (tree / "app.py").write_text('DB = "postgresql://idp:' + 'hunter2' * 2 + '@db:5432/idp"\n')
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "pip-audit").write_text("#!/bin/sh\necho 'flask 0.1 PYSEC-0000-1'\nexit 1\n")
    (fake_bin / "pip-audit").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"}
    result = run([script("security-check.sh"), "--root", str(tree), "--url", f"http://id.example.invalid:{free_port()}"],
                 env=env, timeout=60)
    assert result.returncode == 1
    for line in (f"FAIL  {tree}/.env is readable by group/others", "FAIL  possible secrets", "app.py:1:",
                 "FAIL  pip-audit found vulnerable", "FAIL  served over plain HTTP"):
        assert line in result.stdout, (line, result.stdout)
    fixed = run([script("security-check.sh"), "--root", str(tree), "--fix", "--skip-audit"], timeout=60)
    assert oct((tree / ".env").stat().st_mode & 0o777) == "0o600" and "fixed:" in fixed.stdout
