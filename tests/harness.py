"""Real processes for the resilience tests: IdPs as `idp serve` runs them (granian), a dedicated
redis-server, nginx, and a bounded load generator that records every request."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

IDP = [os.path.join(os.path.dirname(sys.executable), "idp")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1) -> float | None:
    """Seconds until predicate() is true, or None after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if predicate():
                return time.monotonic() - start
        except requests.RequestException:
            pass
        time.sleep(interval)
    return None


def production_env(database_url: str, redis_url: str, issuer: str, prefix: str) -> dict:
    env = dict(os.environ)
    env.update(IDP_ENV="production", DATABASE_URL=database_url, REDIS_URL=redis_url, REDIS_KEY_PREFIX=prefix,
               ISSUER=issuer, SESSION_SECRET=secrets.token_urlsafe(36), KEY_ENCRYPTION_KEY=secrets.token_urlsafe(36),
               LOG_LEVEL="WARNING")
    return env


class Gunicorn:
    """`idp serve` as operators run it, on its own port."""

    def __init__(self, env: dict, port: int, workers: int = 2, log_path: str | None = None):
        self.env = dict(env, PORT=str(port))
        self.port = port
        self.workers = workers
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Gunicorn:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(IDP + ["serve", "--workers", str(self.workers), "--threads", "4"],
                                     env=self.env, stdout=log, stderr=log, start_new_session=True)
        ready = wait_until(lambda: requests.get(self.url + "/health", timeout=1).ok, timeout)
        if ready is None:
            self.stop()
            raise RuntimeError(f"idp serve did not start on {self.port}")
        return self

    def stop(self, timeout: float = 35) -> None:
        """SIGTERM: gunicorn stops accepting, drains in-flight requests, exits."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]


class RedisServer:
    """A redis-server of the test's own, so stopping it touches nothing else."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        assert wait_until(lambda: redis.Redis(port=self.port, socket_timeout=0.5).ping(), 10) is not None
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # a crash, not a clean shutdown
            self.proc.wait(5)


@dataclasses.dataclass
class Sample:
    started: float
    kind: str
    status: int | None  # None: no answer (connection error or client timeout)
    seconds: float


class Load:
    """Threads sending requests in a loop until stopped; every request is recorded."""

    def __init__(self, requests_by_kind: dict, threads: int = 4, timeout: float = 6.0):
        self.requests_by_kind = requests_by_kind
        self.threads = threads
        self.timeout = timeout
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _run(self, offset: int) -> None:
        kinds = list(self.requests_by_kind.items())
        http = requests.Session()
        i = offset
        while not self._stop.is_set():
            kind, make = kinds[i % len(kinds)]
            i += 1
            started = time.monotonic()
            try:
                status = make(http, self.timeout).status_code
            except requests.RequestException:
                status = None
            with self._lock:
                self.samples.append(Sample(started, kind, status, time.monotonic() - started))

    def __enter__(self) -> Load:
        for n in range(self.threads):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(self.timeout + 2)

    def between(self, start: float, end: float, kind: str | None = None) -> list[Sample]:
        with self._lock:
            return [s for s in self.samples if start <= s.started < end and (kind is None or s.kind == kind)]


def nginx_available() -> bool:
    return shutil.which("nginx") is not None or os.path.exists("/usr/sbin/nginx")


class Nginx:
    """A local nginx in front of the instances; connection failures go to the next instance.

    A rolling deploy behind nginx takes an instance out of the upstream (`down` + reload),
    lets gunicorn drain it on SIGTERM, starts it again and puts it back.
    """

    def __init__(self, tmp_path, listen_port: int, upstream_ports: list[int]):
        self.temp = tmp_path / "nginx"
        self.temp.mkdir(exist_ok=True)
        self.conf = self.temp / "nginx.conf"
        self.listen_port = listen_port
        self.upstream_ports = upstream_ports
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc: subprocess.Popen | None = None

    def write(self, down: set[int] = frozenset()) -> None:
        self.conf.write_text(nginx_conf(self.temp, self.listen_port, self.upstream_ports, down))

    def start(self) -> Nginx:
        self.write()
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf), "-p", str(self.temp)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{self.listen_port}/health"
        assert wait_until(lambda: requests.get(url, timeout=1).status_code in (200, 502, 503), 10) is not None
        return self

    def set_down(self, down: set[int]) -> None:
        self.write(down)
        subprocess.run([self.binary, "-c", str(self.conf), "-p", str(self.temp), "-s", "reload"], check=True,
                       capture_output=True, timeout=10)
        time.sleep(0.5)  # old nginx workers finish what they were proxying

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


def nginx_conf(temp, listen_port: int, upstream_ports: list[int], down) -> str:
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=1s{' down' if p in down else ''};"
                        for p in upstream_ports)
    return f"""
worker_processes 1;
daemon off;
pid {temp}/nginx.pid;
error_log {temp}/error.log warn;
events {{ worker_connections 512; }}
http {{
  access_log off;
  # A reload closes idle client keep-alive connections, which a browser retries but this
  # test's plain client would count as errors; one connection per request keeps the count honest.
  keepalive_timeout 0;
  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
  upstream idp {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{listen_port};
    location / {{
      proxy_pass http://idp;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
}}
"""


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
