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
import logging
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

from idp.observability.logs import json_formatter

from . import conftest
from .conftest import Browser, callback_params, free_port, pg_database, serve, start_replica
from .flows import sign_in
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
           "REDIS_KEY_PREFIX": idp.services.config.redis_prefix, "KEEP": "2", "BACKUP_UPLOAD": f"cp --target-directory={tmp_path}"}
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
        restored = run([script("restore.sh"), archive], env=env, timeout=120)
        assert restored.returncode == 0, restored.stdout + restored.stderr
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
    only_postgres(idp)
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


# -- cloud targets -----------------------------------------------------------------
def k8s_variables() -> tuple[set[str], set[str]]:
    return set(k8s("ConfigMap", "idp-config")["data"]), set(k8s("Secret", "idp-secrets")["stringData"])


def k8s_container() -> dict:
    return k8s("Deployment")["spec"]["template"]["spec"]["containers"][0]


def cloud(name: str):
    with open(os.path.join(CLOUD, name)) as handle:
        return json.load(handle) if name.endswith(".json") else yaml.safe_load(handle)


def test_the_cloud_targets_are_the_guides_three():
    assert sorted(os.listdir(CLOUD)) == ["aws-ecs-task-definition.json", "azure-container-instances.yaml",
                                         "gcp-cloud-run.yaml"]


def test_ecs_task_runs_the_image_with_the_kubernetes_variables_and_secrets_manager():
    task = cloud("aws-ecs-task-definition.json")
    assert task["requiresCompatibilities"] == ["FARGATE"] and task["networkMode"] == "awsvpc"
    (container,) = task["containerDefinitions"]
    config, secret = k8s_variables()
    plain = {e["name"]: e["value"] for e in container["environment"]}
    assert set(plain) == config and {s["name"] for s in container["secrets"]} == secret
    assert all(re.fullmatch(r"arn:aws:secretsmanager:REGION:ACCOUNT_ID:secret:idp/[a-z-]+", s["valueFrom"])
               for s in container["secrets"])
    assert plain["IDP_ENV"] == "production" and plain["PORT"] == str(k8s_container()["ports"][0]["containerPort"])
    assert {p["containerPort"] for p in container["portMappings"]} == {p["containerPort"] for p in k8s_container()["ports"]}
    assert container["command"] == k8s_container()["command"] and container["image"].endswith(
        "/idp:" + k8s_container()["image"].rsplit(":", 1)[1])
    assert container["user"] == "1001:1001" and container["readonlyRootFilesystem"] is True
    assert [m["containerPath"] for m in container["mountPoints"]] == ["/tmp"]
    assert "http://127.0.0.1:3001/health" in " ".join(container["healthCheck"]["command"])
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert {"awslogs-group", "awslogs-region", "awslogs-stream-prefix"} <= set(container["logConfiguration"]["options"])


def test_cloud_run_service_has_scaling_secret_manager_and_probes():
    service = cloud("gcp-cloud-run.yaml")
    assert service["apiVersion"] == "serving.knative.dev/v1" and service["kind"] == "Service"
    template = service["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert int(annotations["autoscaling.knative.dev/minScale"]) >= 1
    assert int(annotations["autoscaling.knative.dev/maxScale"]) > int(annotations["autoscaling.knative.dev/minScale"])
    (container,) = template["spec"]["containers"]
    config, secret = k8s_variables()
    env = {e["name"]: e for e in container["env"]}
    # Cloud Run reserves PORT and sets it from containerPort.
    assert "PORT" not in env and container["ports"][0]["containerPort"] == int(k8s("ConfigMap")["data"]["PORT"])
    assert set(env) | {"PORT"} == config | secret
    assert {n for n, e in env.items() if "valueFrom" in e} == secret
    assert all(env[n]["valueFrom"]["secretKeyRef"]["key"] == "latest" for n in secret)
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    for probe in ("startupProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] == container["ports"][0]["containerPort"]
    assert container["command"] == k8s_container()["command"]


def test_azure_container_group_has_the_variables_secure_values_probes_and_user():
    group = cloud("azure-container-instances.yaml")
    assert group["type"] == "Microsoft.ContainerInstance/containerGroups" and group["properties"]["osType"] == "Linux"
    (container,) = group["properties"]["containers"]
    props = container["properties"]
    config, secret = k8s_variables()
    env = {e["name"]: e for e in props["environmentVariables"]}
    assert set(env) == config | secret
    assert {n for n, e in env.items() if "secureValue" in e} == secret
    assert all(env[n]["secureValue"] == "${" + n + "}" for n in secret)  # filled by envsubst, never committed
    assert props["livenessProbe"]["httpGet"]["path"] == "/health" and props["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert props["livenessProbe"]["httpGet"]["port"] == int(env["PORT"]["value"])
    assert {p["port"] for p in props["ports"]} == {p["containerPort"] for p in k8s_container()["ports"]}
    assert props["securityContext"]["runAsUser"] == 1001 and props["securityContext"]["privileged"] is False
    assert props["command"] == k8s_container()["command"]


def test_cloud_targets_configure_a_production_idp_the_app_accepts():
    """Fill in sample secrets: each platform's environment must pass the production validation."""
    from idp.config import Config

    samples = {n: secrets.token_urlsafe(32) for n in k8s_variables()[1]}
    samples.update(DATABASE_URL="postgresql://idp:pw@db:5432/idp", REDIS_URL="redis://:pw@redis:6379/0",
                   METRICS_TOKEN="", SMTP_USER="", SMTP_PASS="", OIDC_PROVIDERS="")
    task_env = {e["name"]: e["value"] for e in cloud("aws-ecs-task-definition.json")["containerDefinitions"][0]["environment"]}
    run_env = {e["name"]: e.get("value") for e in cloud("gcp-cloud-run.yaml")["spec"]["template"]["spec"]["containers"][0]["env"]}
    aci_env = {e["name"]: e.get("value") for e in
               cloud("azure-container-instances.yaml")["properties"]["containers"][0]["properties"]["environmentVariables"]}
    for env in (task_env, {**run_env, "PORT": "3001"}, aci_env):
        env = {k: v for k, v in env.items() if v is not None} | samples
        assert set(env) == variables_the_app_reads()
        config = Config.from_env(env)
        config.validate()
        assert config.production and config.port == 3001


# -- Redis -------------------------------------------------------------------------
@pytest.fixture
def configured_redis(tmp_path):
    """deploy/redis/redis.conf as it is, in a real redis-server on a spare loopback port; only the
    password file's path is rewritten and dir/bind/port given on the command line."""
    if not REDIS_SERVER:
        pytest.skip("redis-server is not installed")
    password = secrets.token_hex(24)
    (tmp_path / "password.conf").write_text(f"requirepass {password}\n")
    with open(os.path.join(ROOT, "deploy", "redis", "redis.conf")) as handle:
        conf = handle.read()
    assert "include /usr/local/etc/redis/password.conf" in conf
    (tmp_path / "redis.conf").write_text(conf.replace("/usr/local/etc/redis/password.conf", str(tmp_path / "password.conf")))
    port = free_port()
    server = subprocess.Popen([REDIS_SERVER, str(tmp_path / "redis.conf"), "--port", str(port), "--bind", "127.0.0.1",
                               "--dir", str(tmp_path), "--maxmemory", "64mb"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "--no-auth-warning"]
    try:
        assert wait_for(lambda: server.poll() is None and run([*cli, "-a", password, "ping"], timeout=5).stdout.strip()
                        == "PONG", timeout=10), server.stdout.read() if server.poll() is not None else "no PONG"
        yield port, password, lambda *args: run([*cli, "-a", password, *args], timeout=10).stdout.strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_redis_conf_needs_the_password_disables_dangerous_commands_and_persists(configured_redis):
    port, password, redis = configured_redis
    anonymous = run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "get", "x"], timeout=5).stdout
    assert "NOAUTH" in anonymous
    for command in (["flushall"], ["flushdb"], ["keys", "*"], ["config", "get", "*"], ["debug", "sleep", "0"]):
        assert "unknown command" in redis(*command), command
    assert "maxmemory_policy:noeviction" in redis("info", "memory")
    assert "aof_enabled:1" in redis("info", "persistence")
    assert redis("slowlog", "len").isdigit()


def test_the_idp_runs_on_the_configured_redis(idp, configured_redis):
    only_postgres(idp)
    port, password, redis = configured_redis
    config = dataclasses.replace(idp.services.config, port=free_port(),
                                 redis_url=f"redis://:{password}@127.0.0.1:{port}/0")
    live, stop = serve(config)
    try:
        assert requests.get(live.endpoint("/ready"), timeout=5).status_code == 200
        service, secret = live.create_client(name="Service", redirect_uris=[], grant_types=["client_credentials"],
                                             scope="api:read")
        client_credentials_token(live, service, secret)
        email = f"redis-{uuid.uuid4().hex[:8]}@example.com"
        live.create_user(email)
        browser = Browser(live)
        assert sign_in(browser, email, "wrong password").status_code in (200, 400, 401)
        assert sign_in(browser, email).status_code in (200, 302)
        assert int(redis("dbsize")) > 0  # sessions, counters and markers are in this Redis
    finally:
        stop()


# -- Logstash ----------------------------------------------------------------------
def logstash_pipeline() -> dict:
    with open(os.path.join(ROOT, "deploy", "logstash", "logstash.conf")) as handle:
        conf = handle.read()
    return {
        "source": re.search(r'json\s*\{[^}]*source\s*=>\s*"(\w+)"', conf).group(1),
        "target": re.search(r'json\s*\{[^}]*target\s*=>\s*"(\w+)"', conf).group(1),
        "date": re.search(r'date\s*\{\s*match\s*=>\s*\["\[(\w+)\]\[(\w+)\]",\s*"(\w+)"\]', conf).groups(),
        "conditions": re.findall(r'if \[(\w+)\]\[(\w+)\] == "(\w+)"', conf),
        "audit": re.search(r'if "(\w+)" in \[(\w+)\]\[(\w+)\]', conf).groups(),
        "indices": re.findall(r'index\s*=>\s*"([^"]+)"', conf),
    }


def test_logstash_pipeline_parses_the_log_lines_and_audit_events_of_a_real_run(idp):
    """The pipeline's json/date/conditional steps, replayed on what the live IdP logged."""
    only_postgres(idp)
    pipeline = logstash_pipeline()
    email = f"elk-{uuid.uuid4().hex[:8]}@example.com"
    user = idp.create_user(email)
    sign_in(Browser(idp), email, "not the password")
    sign_in(Browser(idp), email)
    requests.get(idp.endpoint("/nowhere"), timeout=5)
    with open(conftest.RUN_LOG) as handle:
        lines = [line for line in handle if line.startswith("{")]
    events = []
    for line in lines[-2000:]:
        event = {pipeline["source"]: line, pipeline["target"]: json.loads(line)}  # the json filter
        target, field, fmt = pipeline["date"]
        assert target == pipeline["target"] and fmt == "ISO8601"
        stamp = event[target][field]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", stamp), stamp
        events.append(event[target])
    ((target, field, error_value),) = [c for c in pipeline["conditions"] if c[0] == pipeline["target"]]
    levels = {event[field] for event in events}
    assert levels <= {"debug", "info", "warning", "error", "critical"} and "info" in levels
    record = logging.LogRecord("idp", logging.ERROR, __file__, 1, "boom", None, None)
    assert json.loads(json_formatter().format(record))[field] == error_value  # the error tag matches
    tag, target, field = pipeline["audit"]
    audit = [event for event in events if tag in (event.get(field) or [])]
    assert {"login.failed", "login.succeeded"} <= {event["action"] for event in audit if event.get("user_id") == user.id}
    assert all(event.get("action") and event.get("request_id") for event in audit)
    assert pipeline["indices"] == ["idp-audit-%{+YYYY.MM.dd}", "idp-%{+YYYY.MM.dd}"]  # by day


# -- deploy and update scripts (no Docker engine, cluster or cloud here) -----------
@pytest.fixture(scope="module")
def path_without_tools(tmp_path_factory) -> str:
    """A PATH with every command of this one but docker and kubectl (symlinks in one directory)."""
    tools = ("docker", "kubectl")
    bin_dir = tmp_path_factory.mktemp("path")
    for directory in reversed(os.environ["PATH"].split(os.pathsep)):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            target = os.path.join(directory, name)
            if name not in tools and os.access(target, os.X_OK) and not os.path.isdir(target):
                link = bin_dir / name
                if link.is_symlink():
                    link.unlink()
                link.symlink_to(target)
    return str(bin_dir)


@pytest.mark.parametrize("name, tool", [("deploy-docker.sh", "docker"), ("deploy-k8s.sh", "kubectl"),
                                        ("update.sh", "docker")])
def test_deploy_scripts_say_which_tool_is_missing(path_without_tools, name, tool):
    env = {**os.environ, "PATH": path_without_tools, "ISSUER": "https://id.example.com",
           "IDP_IMAGE": "registry.example.com/idp:0.2.0"}
    result = run([script(name)], env=env, timeout=30)
    assert result.returncode == 2 and f"{tool} is not installed" in result.stderr, result.stderr


def test_deploy_docker_checks_every_variable_and_the_tls_files_first(path_without_tools):
    env = {k: v for k, v in os.environ.items() if k not in ("POSTGRES_PASSWORD", "SESSION_SECRET", "KEY_ENCRYPTION_KEY")}
    env.update(PATH=path_without_tools, ISSUER="http://id.example.com", REDIS_PASSWORD="short")
    result = run([script("deploy-docker.sh")], env=env, timeout=30)
    assert result.returncode == 2
    for problem in ("POSTGRES_PASSWORD is not set", "SESSION_SECRET is not set", "KEY_ENCRYPTION_KEY is not set",
                    "REDIS_PASSWORD is shorter than 32", "ISSUER must be an https:// URL", "docker is not installed"):
        assert problem in result.stderr, (problem, result.stderr)
    assert run([script("deploy-docker.sh"), "--timeout", "soon"], timeout=10).returncode == 2
    assert run([script("deploy-docker.sh"), "--bogus"], timeout=10).returncode == 2


def test_deploy_k8s_and_update_check_their_arguments(path_without_tools):
    env = {**os.environ, "PATH": path_without_tools}
    k8s_result = run([script("deploy-k8s.sh"), "--image", "NOT AN IMAGE", "--secret-file",
                      os.path.join(ROOT, "deploy", "k8s", "secret.template.yaml"), "--timeout", "x"], env=env)
    assert k8s_result.returncode == 2
    for problem in ("is not an image reference", "still holds CHANGE_ME", "--timeout must be", "kubectl is not installed"):
        assert problem in k8s_result.stderr, (problem, k8s_result.stderr)
    update = run([script("update.sh"), "--target", "nomad"], env={k: v for k, v in env.items()
                                                                    if k not in ("IDP_IMAGE", "ISSUER")})
    assert update.returncode == 2
    for problem in ("which image?", "--target must be docker or k8s", "where to check health?"):
        assert problem in update.stderr, (problem, update.stderr)


FAKE_KUBECTL = """#!/bin/sh
# Records each call; answers like a healthy cluster; prints what it is asked to apply.
echo "kubectl $*" >> "$KUBECTL_LOG"
case "$*" in
  *"apply -f -"*) cat >> "$KUBECTL_LOG" ;;
  *"apply -f "*) cat "$(echo "$*" | sed 's/.*apply -f //')" >> "$KUBECTL_LOG" ;;
  kustomize*) for f in "$2"/namespace.yaml "$2"/configmap.yaml "$2"/migration-job.yaml "$2"/deployment.yaml; do
                cat "$f"; echo ---; done ;;
  *"rollout status"*) exit "${ROLLOUT_RC:-0}" ;;
esac
exit 0
"""


def fake_kubectl(tmp_path) -> dict:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(FAKE_KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "KUBECTL_LOG": str(tmp_path / "kubectl.log")}


def test_deploy_k8s_migrates_first_then_applies_the_new_image_and_checks_health(idp, tmp_path):
    """A stand-in kubectl records the calls: the order and the image are the script's real logic."""
    only_postgres(idp)
    env = fake_kubectl(tmp_path)
    result = run([script("deploy-k8s.sh"), "--image", "registry.example.com/idp:0.2.0", "--health-url", idp.url,
                  "--timeout", "30"], env=env, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    log = (tmp_path / "kubectl.log").read_text()
    calls = [line for line in log.splitlines() if line.startswith("kubectl ")]
    order = [next(i for i, c in enumerate(calls) if marker in c) for marker in (
        "version", "get secret idp-secrets", "delete job idp-migrate", "wait --for=condition=complete job/idp-migrate",
        "kustomize", "rollout status deployment/idp")]
    assert order == sorted(order), calls
    assert "image: registry.example.com/idp:0.2.0" in log and "image: registry.example.com/idp:0.1.0" not in log
    assert result.stdout.count("ok ") == 3  # scripts/health-check.sh against the live IdP
    assert not any("rollout undo" in c for c in calls)


def test_deploy_k8s_rolls_back_a_failed_rollout(tmp_path):
    env = {**fake_kubectl(tmp_path), "ROLLOUT_RC": "1"}
    result = run([script("deploy-k8s.sh"), "--health-url", "http://127.0.0.1:1", "--timeout", "5"], env=env, timeout=60)
    assert result.returncode == 1 and "rolling back" in result.stderr
    assert "kubectl -n idp rollout undo deployment/idp" in (tmp_path / "kubectl.log").read_text()


# -- load tests --------------------------------------------------------------------
@pytest.mark.skipif(not shutil.which("ab"), reason="ab is not installed (Debian's apache2-utils; .ci/run installs it)")
def test_ab_wrapper_loads_a_live_idp(idp):
    only_postgres(idp)
    service, secret = idp.create_client(name="Bench", redirect_uris=[], grant_types=["client_credentials"],
                                        scope="api:read")
    result = run([os.path.join(ROOT, "bench", "ab.sh"), "--url", idp.url, "-n", "20", "-c", "2",
                  "--client-id", service.client_id, "--client-secret", secret], timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Requests per second") == 4 and "Non-2xx" not in result.stdout


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed")
def test_wrk_wrapper_loads_a_live_idp_and_checks_its_arguments(idp):
    only_postgres(idp)
    result = run([os.path.join(ROOT, "bench", "wrk.sh"), "--url", idp.url, "--duration", "1", "--connections", "2",
                  "--threads", "1"], timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Requests/sec") == 3 and "Non-2xx" not in result.stdout
    bad = run([os.path.join(ROOT, "bench", "wrk.sh"), "--url", idp.url, "--duration", "0"], timeout=10)
    assert bad.returncode == 2
