"""deploy/compose.yaml brought up by podman-compose, unchanged, from a copy of deploy/ holding this
run's TLS files and .env: postgres, redis and nginx are stand-ins built from Debian packages and
tagged with the compose file's image names (deploy/ci/build-compose-standins.sh), the IdP is the
image deploy/ci/build-image.sh builds. Then the documented backup and restore of that stack
(scripts/backup.sh --compose, scripts/restore.sh --compose) and scripts/update.sh's happy path and
a release whose migration fails.

What podman-compose cannot honour here, done by the test instead and said so:
- health-gated depends_on (`condition: service_healthy`): podman-compose ignores it before podman
  4.6 (this machine's is older), and the `--requires` it adds for depends_on trips podman 4.3 once a
  one-shot dependency (migrate) has exited. So the test starts the services in the order the
  conditions give, each with --no-deps, waiting for each health check to pass;
- the HEALTHCHECK timers: podman runs health checks from systemd timers, and there is no systemd
  here, so a thread runs `podman healthcheck run` on the stack's containers every second, as the
  timers would. compose's own `healthcheck` blocks (pg_isready, redis-cli ping) and the image's
  HEALTHCHECK are what it runs.
Ports 80 and 443 are the compose file's own: the test needs them free.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from .containers import ROOT, _env, podman, unavailable, wait_for

PROJECT = "idp"
PODMAN_COMPOSE = shutil.which("podman-compose") or os.path.join(os.path.dirname(sys.executable), "podman-compose")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class Stack:
    def __init__(self, directory, env):
        self.dir, self.env = directory, env
        self.file = str(directory / "compose.yaml")
        self.base = "https://localhost"
        self.ca = str(directory / "nginx" / "ssl" / "tls.crt")
        self.stop_health = threading.Event()
        self.health = threading.Thread(target=self._run_health_checks, daemon=True)

    def compose(self, *args, timeout=300, check=True) -> subprocess.CompletedProcess:
        done = subprocess.run([PODMAN_COMPOSE, "-f", self.file, *args], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if check:
            assert done.returncode == 0, f"podman-compose {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done

    def containers(self, service: str | None = None) -> list[str]:
        filters = ["--filter", f"label=com.docker.compose.project={PROJECT}"]
        if service:
            filters += ["--filter", f"label=com.docker.compose.service={service}"]
        return podman("ps", "-q", "--no-trunc", *filters).stdout.split()

    def _run_health_checks(self):
        while not self.stop_health.wait(1.0):
            for container in self.containers():
                podman("healthcheck", "run", container, check=False, timeout=30)

    def healthy(self, service: str) -> bool:
        ids = self.containers(service)
        return bool(ids) and all(podman("inspect", "--format", "{{.State.Health.Status}}", c,
                                        check=False).stdout.strip() == "healthy" for c in ids)

    def script(self, name: str, *args, timeout=600, **env) -> subprocess.CompletedProcess:
        return subprocess.run([os.path.join(ROOT, "scripts", name), *args], cwd=self.dir, capture_output=True,
                              text=True, timeout=timeout,
                              env={**self.env, "COMPOSE": PODMAN_COMPOSE, "COMPOSE_FILE": self.file, "DOCKER": "podman",
                                   "IDP_CACERT": self.ca, "BACKUP_DIR": str(self.dir / "backups"), **env})

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base + path, verify=self.ca, timeout=10)

    def psql(self, sql: str) -> str:
        return self.compose("exec", "-T", "postgres", "psql", "-U", "idp", "-d", "idp", "-XAtqc", sql).stdout.strip()

    def redis(self, *args) -> str:
        return self.compose("exec", "-T", "redis", "redis-cli", "--no-auth-warning", *args).stdout.strip()


@pytest.fixture(scope="module")
def stack(built_image, tmp_path_factory):
    if not os.path.exists(PODMAN_COMPOSE):
        unavailable("podman-compose is not installed (pip install -e '.[test]' installs it)")
    if not shutil.which("mmdebstrap"):
        unavailable("mmdebstrap is not installed (.ci/run installs it)")
    if not (port_free(80) and port_free(443)):
        unavailable("ports 80 and 443, which deploy/compose.yaml publishes, are in use")
    made = subprocess.run([os.path.join(ROOT, "deploy", "ci", "build-compose-standins.sh")], env=_env,
                          capture_output=True, text=True, timeout=1800)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-3000:]
    podman("tag", built_image["image"], "localhost/idp:latest")  # compose's `image: idp:latest`

    directory = tmp_path_factory.mktemp("compose") / "deploy"
    shutil.copytree(os.path.join(ROOT, "deploy"), directory)
    from ..test_deploy_tools import self_signed_certificate
    self_signed_certificate(directory / "nginx" / "ssl")
    secrets_env = {name: os.urandom(32).hex() for name in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "SESSION_SECRET",
                                                           "KEY_ENCRYPTION_KEY")}
    (directory / ".env").write_text("ISSUER=https://localhost\n" + "".join(f"{k}={v}\n" for k, v in secrets_env.items()))
    running = Stack(directory, dict(_env))
    running.compose("down", "-v", check=False)
    running.health.start()
    started = time.monotonic()
    try:
        # depends_on, in its order: postgres and redis healthy -> migrate completed -> idp healthy -> nginx.
        running.compose("up", "-d", "--no-deps", "postgres", "redis")
        assert wait_for(lambda: running.healthy("postgres") and running.healthy("redis"), 60), "postgres/redis"
        running.compose("run", "--rm", "--no-deps", "migrate")
        running.compose("up", "-d", "--no-deps", "idp")
        assert wait_for(lambda: running.healthy("idp"), 90), podman("logs", running.containers("idp")[0]).stderr[-3000:]
        running.compose("up", "-d", "--no-deps", "nginx")
        assert wait_for(lambda: port_free(443) is False, 30)
        running.up_seconds = time.monotonic() - started
        yield running
    finally:
        running.stop_health.set()
        running.health.join(timeout=10)
        for container in running.containers():  # update.sh's second idp container has a name compose does not know
            podman("rm", "-f", "-t", "5", container, check=False)
        running.compose("down", "-v", timeout=300, check=False)


def test_the_compose_stack_migrates_and_answers_ready_through_nginx(stack):
    ready = wait_for(lambda: stack.get("/ready").status_code == 200, 30)
    assert ready, stack.get("/ready").text
    assert stack.get("/ready").json()["checks"] == {"database": "ok", "redis": "ok"}
    assert stack.get("/.well-known/openid-configuration").json()["issuer"] == "https://localhost"
    assert stack.get("/metrics").status_code == 404  # never through the public proxy
    assert int(stack.psql("select count(*) from alembic_version")) == 1
    print(f"\ncompose stack up (stand-ins and image cached) in {stack.up_seconds:.1f} s")


def test_the_compose_stack_is_backed_up_and_restored_as_documented(stack):
    (idp,) = stack.containers("idp")
    created = subprocess.run(["podman", "exec", "-i", idp, "idp", "users", "create", "--email", "backup@example.com",
                              "--password-stdin", "--verified"], input="a long enough passphrase 42\n", env=_env,
                             capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stdout + created.stderr
    stack.redis("set", "idp:compose-probe", "kept")
    stack.redis("-n", "3", "set", "idp:compose-probe", "another index")
    users = stack.psql("select email from users order by email")
    keys = stack.psql("select kid from signing_keys order by kid")
    assert "backup@example.com" in users and keys
    started = time.monotonic()
    made = stack.script("backup.sh", "--compose", BACKUP_ENCRYPTION_KEY="a passphrase for the compose backup")
    backup_seconds = time.monotonic() - started
    assert made.returncode == 0, made.stdout + made.stderr
    archive = made.stdout.strip().splitlines()[-1].removeprefix("backup: ")
    assert archive.endswith(".tar.gz.gpg")

    stack.psql("delete from users where email = 'backup@example.com'")
    stack.redis("del", "idp:compose-probe")
    stack.redis("-n", "3", "set", "idp:compose-probe", "changed since")
    started = time.monotonic()
    restored = stack.script("restore.sh", "--compose", "--force", archive,
                            BACKUP_ENCRYPTION_KEY="a passphrase for the compose backup")
    restore_seconds = time.monotonic() - started
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert stack.psql("select email from users order by email") == users
    assert stack.psql("select kid from signing_keys order by kid") == keys
    assert stack.redis("get", "idp:compose-probe") == "kept"
    assert stack.redis("-n", "3", "get", "idp:compose-probe") == "changed since"  # another index: untouched
    assert wait_for(lambda: stack.get("/ready").status_code == 200, 30)
    print(f"\ncompose backup (encrypted) {backup_seconds:.1f} s, restore {restore_seconds:.1f} s")


def image_id(reference: str) -> str:
    return podman("image", "inspect", "--format", "{{.Id}}", reference).stdout.strip()


def test_update_rolls_the_idp_to_a_new_container_behind_nginx(stack, built_image):
    (old,) = stack.containers("idp")
    started = time.monotonic()
    done = stack.script("update.sh", "--image", built_image["image"], "--health-url", stack.base)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "updated to" in done.stdout and "backup: " in done.stdout
    (new,) = stack.containers("idp")
    assert new != old
    assert stack.get("/ready").status_code == 200
    print(f"\nupdate.sh happy path {time.monotonic() - started:.1f} s")


def test_update_with_a_failing_migration_leaves_the_old_container_serving(stack, built_image, tmp_path):
    broken = "localhost/idp:broken-release"
    (tmp_path / "Containerfile").write_text(
        f"FROM {built_image['image']}\nENTRYPOINT [\"/bin/sh\", \"-c\", \"echo this release is broken >&2; exit 3\", \"--\"]\n")
    podman("build", "--pull=never", "--format", "docker", "--network", "none", "--tag", broken, str(tmp_path),
           timeout=300)
    (old,) = stack.containers("idp")
    old_started = podman("inspect", "--format", "{{.State.StartedAt}}", old).stdout
    previous = image_id("localhost/idp:latest")
    done = stack.script("update.sh", "--image", broken, "--health-url", stack.base)
    assert done.returncode == 1 and "FAILED (migration)" in done.stderr, done.stdout[-3000:] + done.stderr[-3000:]
    assert stack.containers("idp") == [old]
    assert podman("inspect", "--format", "{{.State.StartedAt}}", old).stdout == old_started  # never restarted
    assert image_id("localhost/idp:latest") == previous
    assert stack.get("/ready").status_code == 200
    podman("rmi", broken, check=False)
