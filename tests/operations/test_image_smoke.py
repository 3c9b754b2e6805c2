"""The image, run as deploy/k8s/deployment.yaml runs it (read-only root filesystem, a 64 MiB tmpfs
at /tmp, every capability dropped, no-new-privileges, user 1001), with the ConfigMap's variables,
against this machine's PostgreSQL and Redis (a database and a Redis key prefix of its own):
the migration Job as a one-shot container, then what a rollout relies on - probes, discovery,
JWKS, a token, the metrics port, the HEALTHCHECK, the preStop drain, and SIGTERM during a stream of
requests ending cleanly within the grace period (issue 31: the image could not start at all).

The container part of CI: deploy/ci/build-image.sh (cached) and about half a minute of these."""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import socket
import threading
import time
import uuid

import pytest
import redis
import requests

from tests.conftest import REDIS_URL, free_port, pg_database

from .containers import HARDENED, podman, wait_for
from .strict_files import ROOT, load_strict

ISSUER = "https://id.example.test"


def k8s(name: str, kind: str) -> dict:
    (doc,) = [d for d in load_strict(os.path.join(ROOT, "deploy", "k8s", name)) if d["kind"] == kind]
    return doc


DEPLOYMENT = k8s("deployment.yaml", "Deployment")
POD = DEPLOYMENT["spec"]["template"]["spec"]
(CONTAINER,) = POD["containers"]
GRACE_SECONDS = POD["terminationGracePeriodSeconds"]
PRESTOP = CONTAINER["lifecycle"]["preStop"]["exec"]["command"]


def test_the_hardening_here_is_the_deployments():
    """HARDENED (containers.py) says what deployment.yaml says; a change there must change it."""
    security = CONTAINER["securityContext"]
    assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
    assert security["capabilities"]["drop"] == ["ALL"]
    assert (POD["securityContext"]["runAsUser"], POD["securityContext"]["runAsGroup"]) == (1001, 1001)
    assert [m["mountPath"] for m in CONTAINER["volumeMounts"]] == ["/tmp"]
    assert POD["volumes"][0]["emptyDir"]["sizeLimit"] == "64Mi"
    assert CONTAINER["command"] == ["idp", "serve"]


@pytest.fixture(scope="module")
def deployment(built_image, tmp_path_factory):
    """The ConfigMap's variables with this run's secrets, database, Redis prefix and free ports."""
    database_url, drop = pg_database("_image_smoke")
    prefix = f"idpsmoke:{uuid.uuid4().hex[:8]}:"
    port, metrics_port = free_port(), free_port()
    env = dict(k8s("configmap.yaml", "ConfigMap")["data"])
    env.update(ISSUER=ISSUER, PORT=str(port), METRICS_PORT=str(metrics_port), DATABASE_URL=database_url,
               REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=prefix, SESSION_SECRET=secrets.token_urlsafe(32),
               KEY_ENCRYPTION_KEY=secrets.token_urlsafe(32), METRICS_TOKEN="",
               WEB_CONCURRENCY="2")  # two workers, not 2 x CPUs + 1: this machine's cores are shared
    env_file = tmp_path_factory.mktemp("smoke") / "idp.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    env_file.chmod(0o600)
    yield {"image": built_image["image"], "env": env, "env_file": str(env_file), "url": f"http://127.0.0.1:{port}",
           "metrics_url": f"http://127.0.0.1:{metrics_port}/metrics"}
    drop()
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(match=prefix + "*", count=1000):
        store.delete(key)


def one_shot(deployment, *command, timeout=120):
    """A Job's pod: the same image, hardening and variables, a command, gone afterwards."""
    return podman("run", "--rm", "--no-healthcheck", *HARDENED, "--env-file", deployment["env_file"],
                  deployment["image"], *command, timeout=timeout)


@pytest.fixture(scope="module")
def migrated(deployment):
    done = one_shot(deployment, "idp", "db", "upgrade")
    return done.stdout


@pytest.fixture(scope="module")
def server(deployment, migrated):
    name = f"idp-smoke-{uuid.uuid4().hex[:8]}"
    podman("run", "--detach", "--name", name, *HARDENED, "--env-file", deployment["env_file"], deployment["image"])
    try:
        healthy = wait_for(lambda: _status(deployment["url"] + "/health") == 200, timeout=90)
        assert healthy, podman("logs", name, check=False).stdout[-3000:]
        yield {**deployment, "name": name}
    finally:
        podman("rm", "--force", "--time", "0", name, check=False)


def _status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=3).status_code
    except requests.RequestException:
        return None


def test_migrations_run_as_a_one_shot_container(migrated, deployment):
    assert "database is up to date" in migrated
    again = one_shot(deployment, "idp", "db", "upgrade")  # the Job may run again: nothing to do
    assert "database is up to date" in again.stdout


def test_probes_discovery_and_jwks(server):
    assert requests.get(server["url"] + "/health", timeout=5).status_code == 200
    ready = requests.get(server["url"] + "/ready", timeout=5)
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    discovery = requests.get(server["url"] + "/.well-known/openid-configuration", timeout=5).json()
    assert discovery["issuer"] == ISSUER and discovery["token_endpoint"] == ISSUER + "/token"
    jwks = requests.get(discovery["jwks_uri"].replace(ISSUER, server["url"]), timeout=5).json()
    assert jwks["keys"] and all(key["kty"] == "RSA" for key in jwks["keys"])
    private_members = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
    assert all(not private_members & set(key) for key in jwks["keys"]), jwks


@pytest.fixture(scope="module")
def client(server):
    """A client made by the CLI in a one-shot container, as an operator would."""
    done = one_shot(server, "idp", "clients", "create", "--name", "smoke", "--grant-type", "client_credentials",
                    "--auth-method", "client_secret_basic", "--json")
    created = json.loads(done.stdout.strip().splitlines()[-1])
    return created["client_id"], created["client_secret"]


def token_request(url: str, client) -> tuple[int, dict]:
    basic = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
    response = requests.post(url + "/token", data={"grant_type": "client_credentials"},
                             headers={"Authorization": "Basic " + basic}, timeout=10)
    return response.status_code, response.json()


def test_a_token_for_a_client_the_cli_created(server, client):
    status, body = token_request(server["url"], client)
    assert status == 200, body
    assert body["token_type"].lower() == "bearer" and body["access_token"].count(".") == 2  # a JWT


def test_metrics_are_refused_on_the_main_port_and_served_on_the_metrics_port(server, client):
    assert requests.get(server["url"] + "/metrics", timeout=5).status_code == 404  # no METRICS_TOKEN
    text = wait_for(lambda: (r := requests.get(server["metrics_url"], timeout=5)).ok and
                    'tokens_issued_total{grant_type="client_credentials"}' in r.text and r.text, timeout=10)
    assert text, "the metrics port serves no token count"
    assert "http_requests_total" in text


def test_the_images_healthcheck_is_healthy(server):
    config = podman("image", "inspect", server["image"], "--format", "{{json .Config.Healthcheck}}").stdout
    assert "/health" in config, "the image lost its HEALTHCHECK (built in the OCI format?)"
    assert podman("healthcheck", "run", server["name"], check=False).returncode == 0
    status = podman("inspect", server["name"], "--format", "{{.State.Health.Status}}").stdout.strip()
    assert status == "healthy"


def test_the_prestop_hook_turns_ready_to_503_while_health_stays_200(server):
    """deployment.yaml's preStop command, run in the container as the kubelet does."""
    started = time.monotonic()
    podman("exec", server["name"], *PRESTOP, timeout=30)
    assert time.monotonic() - started >= 5  # its sleep: the endpoints controller's time
    ready = requests.get(server["url"] + "/ready", timeout=5)
    assert ready.status_code == 503 and ready.json()["status"] == "draining"
    assert requests.get(server["url"] + "/health", timeout=5).status_code == 200  # not restarted meanwhile


def test_nothing_is_written_outside_tmp(server, client):
    """podman diff after traffic: the root filesystem is read-only; only /etc's entry, where
    podman itself mounts hosts, hostname and resolv.conf, may show as changed."""
    token_request(server["url"], client)
    changes = json.loads(podman("diff", "--format", "json", server["name"]).stdout or "{}")
    paths = {path for kind in changes.values() for path in kind}
    runtime_mounts = {"/etc", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run", "/run/.containerenv"}
    assert {p for p in paths if p != "/tmp" and not p.startswith("/tmp/")} <= runtime_mounts, changes
    tmp = podman("exec", server["name"], "sh", "-c", "ls -A /tmp; ls /tmp/prometheus | head -3").stdout
    assert "prometheus" in tmp and ".db" in tmp  # the metric files, where PROMETHEUS_MULTIPROC_DIR says


class SlowRequest(threading.Thread):
    """A token request whose body arrives in two halves, the second after SIGTERM: in flight when
    the server is told to stop, it must still be answered."""

    def __init__(self, url: str, client, sent_half: threading.Event, finish: threading.Event):
        super().__init__(daemon=True)
        self.port = int(url.rsplit(":", 1)[1])
        basic = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
        self.body = b"grant_type=client_credentials"
        self.head = (f"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\n"
                     f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(self.body)}\r\n"
                     "Connection: close\r\n\r\n").encode()
        self.sent_half, self.finish, self.status = sent_half, finish, None

    def run(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=40) as sock:
            sock.sendall(self.head + self.body[:10])
            self.sent_half.set()
            self.finish.wait(40)
            sock.sendall(self.body[10:])
            response = http.client.HTTPResponse(sock)
            response.begin()
            self.status = response.status
            response.read()


def test_sigterm_during_a_stream_of_requests_finishes_them_all_within_the_grace_period(server, client):
    """What a rolling deploy does to a pod: preStop (drain, sleep), then SIGTERM to PID 1, while
    requests keep coming. Every request sent before SIGTERM is answered 200 (those after may be
    refused: the Service has stopped routing here), a request still arriving is finished, no worker
    is killed ("refused to gracefully stop"), and the process exits 0 well within the grace period."""
    outcomes: list[tuple[float, float, str]] = []  # (sent at, answered at, outcome)
    stop = threading.Event()

    def stream():
        while not stop.is_set():
            sent = time.monotonic()
            try:
                status, _ = token_request(server["url"], client)
                outcomes.append((sent, time.monotonic(), str(status)))
            except requests.ConnectionError as exc:
                outcomes.append((sent, time.monotonic(), type(exc.args[0]).__name__ if exc.args else "error"))
                time.sleep(0.05)

    threads = [threading.Thread(target=stream, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    sent_half, finish = threading.Event(), threading.Event()
    slow = SlowRequest(server["url"], client, sent_half, finish)
    slow.start()
    assert sent_half.wait(10)
    time.sleep(1)
    sigterm = time.monotonic()
    podman("kill", "--signal", "TERM", server["name"])
    time.sleep(2)  # the slow request's second half arrives two seconds into the shutdown
    finish.set()
    exit_code = podman("wait", server["name"], timeout=GRACE_SECONDS + 10).stdout.strip()
    stopped = time.monotonic() - sigterm
    stop.set()
    for thread in threads:
        thread.join(15)
    slow.join(15)
    logs = podman("logs", server["name"]).stdout + podman("logs", server["name"]).stderr

    before = [outcome for sent, _, outcome in outcomes if sent < sigterm]
    assert len(before) >= 20 and set(before) == {"200"}, before
    assert slow.status == 200, "the request in flight at SIGTERM was cut"
    assert "refused to gracefully stop" not in logs, logs[-3000:]
    assert exit_code == "0", logs[-3000:]
    assert 2 <= stopped < GRACE_SECONDS, stopped
