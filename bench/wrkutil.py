"""Shared helpers of the bench scripts: free ports, waiting for a server, running wrk and parsing its output."""

from __future__ import annotations

import os
import re
import resource
import shutil
import socket
import subprocess
import time
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen | None, timeout: float = 30.0) -> None:
    """Poll url until it answers 200; fail fast if the server process died."""
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, never a proxy
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering {url}")
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s ({last})")


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("wrk not found (apt-get install -y wrk)")
    return path


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"cannot read wrk time {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict:
    result = {"requests": 0, "rps": 0.0, "p50_ms": None, "p75_ms": None, "p90_ms": None, "p99_ms": None,
              "non2xx": 0, "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0}}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["rps"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in ([\d.]+\w+),", output):
        result["requests"] = int(m.group(1))
        result["elapsed_s"] = _ms(m.group(2)) / 1e3
    for pct in ("50", "75", "90", "99"):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M):
            result[f"p{pct}_ms"] = round(_ms(m.group(1)), 3)
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result["non2xx"] = int(m.group(1))
    return result


def proc_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def cpu_busy_jiffies() -> dict[str, tuple[int, int]]:
    """Per core: (busy, total) jiffies since boot, from /proc/stat."""
    cores = {}
    with open("/proc/stat") as handle:
        for line in handle:
            if line.startswith("cpu") and line[3].isdigit():
                name, *values = line.split()
                values = list(map(int, values))[:8]  # user nice system idle iowait irq softirq steal
                # busy = processes (user, nice, system) + steal (other virtual machines); interrupt time is
                # left out because it is no process's and loopback traffic alone produces a lot of it
                cores[name] = (values[0] + values[1] + values[2] + values[7], sum(values))
    return cores


def busy_percent(before: dict, after: dict) -> dict[str, float]:
    return {core: round(100 * (after[core][0] - before[core][0]) / max(1, after[core][1] - before[core][1]), 1)
            for core in after if core in before}


def child_pids(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as handle:
                        if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                            children.append(int(entry))
                except OSError:
                    pass
        return children


class Meter:
    """CPU accounting around one measurement: the server worker, the load generator (children we waited
    for), and both cores, so a run disturbed by other processes on the machine shows as `other`."""

    def __init__(self, server_pid: int | None):
        self.server_pid = server_pid

    def __enter__(self):
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.server = proc_cpu_seconds(self.server_pid) if self.server_pid else 0.0
        self.cores = cpu_busy_jiffies()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        gen = (after.ru_utime - self.children.ru_utime) + (after.ru_stime - self.children.ru_stime)
        self.loadgen_cpu_pct = round(100 * gen / self.wall, 1)
        self.server_cpu_pct = (round(100 * (proc_cpu_seconds(self.server_pid) - self.server) / self.wall, 1)
                               if self.server_pid else None)
        self.core_busy_pct = busy_percent(self.cores, cpu_busy_jiffies())
        self.other_cpu_pct = round(max(0.0, sum(self.core_busy_pct.values()) - self.loadgen_cpu_pct
                                       - (self.server_cpu_pct or 0.0)), 1)
        return False

    def figures(self) -> dict:
        figures = {"loadgen_cpu_pct": self.loadgen_cpu_pct, "core_busy_pct": self.core_busy_pct,
                   "other_cpu_pct": self.other_cpu_pct}
        if self.server_pid:
            figures["server_cpu_pct"] = self.server_cpu_pct
        return figures


def wait_until_quiet(max_wait: float, threshold_pct: float = 25.0, log=print) -> float:
    """Wait (bounded) until both cores together are less than threshold_pct busy over 2 s; returns that figure."""
    started = time.monotonic()
    deadline = started + max_wait
    while True:
        before = cpu_busy_jiffies()
        time.sleep(2)
        busy = sum(busy_percent(before, cpu_busy_jiffies()).values())
        if busy < threshold_pct or time.monotonic() >= deadline:
            if busy >= threshold_pct:
                log(f"  warning: the machine is still busy ({busy:.0f}% of the cores used by other processes); "
                    "figures will be low and noisy")
            elif time.monotonic() - started > 3:
                log(f"  quiet after {time.monotonic() - started:.0f} s")
            return round(busy, 1)
        if time.monotonic() - started < 3:
            log(f"  machine busy ({busy:.0f}% CPU used by other processes), waiting up to {max_wait:.0f} s ...")


def run_wrk(url: str, connections: int, duration: float, *, core: int = 1, script: str | None = None,
            script_args: list[str] | None = None, server_pid: int | None = None) -> dict:
    """wrk pinned to one core, one thread, --latency; returns the parsed figures (+ CPU use of both sides)."""
    cmd = ["taskset", "-c", str(core), wrk_binary(), "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s",
           "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    with Meter(server_pid) as meter:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    result = parse_wrk(proc.stdout)
    result["connections"] = connections
    result.update(meter.figures())
    if server_pid and result["rps"]:
        result["server_cpu_ms_per_req"] = round(10 * meter.server_cpu_pct / result["rps"], 3)
    result["raw"] = proc.stdout
    return result


# -- the IdP under test -------------------------------------------------------------------------
ROOT = os.path.dirname(BENCH_DIR)
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


class Deployment:
    """A production-mode IdP of a bench's own: database, Redis prefix, `idp` command, server.
    Everything it creates is remembered, so that teardown removes exactly that."""

    def __init__(self, name: str, **extra_env: str):
        import secrets
        import sys

        run_id = secrets.token_hex(5)
        self.db_name, self.prefix = f"idp_{name}_{run_id}", f"idp{name}:{run_id}:"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_created = False
        self.server: subprocess.Popen | None = None
        self.server_log = None
        self.env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        self.env.update(
            DATABASE_URL=PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.db_name, REDIS_URL=REDIS_URL,
            REDIS_KEY_PREFIX=self.prefix, ISSUER=self.url, PORT=str(self.port), IDP_ENV="production",
            SESSION_SECRET=secrets.token_urlsafe(36), KEY_ENCRYPTION_KEY=secrets.token_urlsafe(36),
            LOG_LEVEL="WARNING",
            AUTHORIZE_RATE_LIMIT="100000000",  # one load generator on one address starts every flow
            **extra_env,
        )
        self.idp = os.path.join(os.path.dirname(sys.executable), "idp")
        if not os.path.exists(self.idp):
            self.idp = shutil.which("idp") or sys.exit("the `idp` command is not installed (pip install -e .)")

    def cli(self, *args, stdin: str | None = None) -> str:
        proc = subprocess.run([self.idp, *args], input=stdin, capture_output=True, text=True, env=self.env,
                              cwd=ROOT, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"idp {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return proc.stdout

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        self.cli("db", "upgrade")

    def start_server(self, core: int, threads: int, log_path: str, server: str = "granian") -> None:
        """One worker pinned to `core`, answering before 45 s: `idp serve` on `server` (granian, its
        default, or gunicorn) with `threads` threads, access log and all, as production runs it."""
        if server not in ("granian", "gunicorn"):
            raise ValueError(f"unknown server {server!r}")
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        self.server_log = open(log_path, "w")
        self.server = subprocess.Popen(
            ["taskset", "-c", str(core), self.idp, "serve", "--server", server, "--workers", "1",
             "--threads", str(threads)],
            env=self.env, cwd=ROOT, stdout=self.server_log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(self.url + "/.well-known/openid-configuration", self.server, timeout=45)

    def worker_pid(self) -> int:
        """The worker: the (single) child of the gunicorn master, or of granian's main process, we started."""
        children = child_pids(self.server.pid)
        if len(children) != 1:
            raise RuntimeError(f"expected one worker under {self.server.pid}, found {children}")
        return children[0]

    def stop_server(self) -> None:
        """SIGTERM to the server's process group (SIGKILL after 15 s); start_server may then run again."""
        import signal

        if self.server is not None and self.server.poll() is None:
            try:
                os.killpg(self.server.pid, signal.SIGTERM)
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self.server_log:
            self.server_log.close()

    def teardown(self) -> list[str]:
        """Stop the server, drop the database, delete the Redis keys; what could not be done."""
        problems = []
        self.stop_server()
        if self.db_created:
            try:
                import psycopg

                with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            except Exception as exc:
                problems.append(f"could not drop database {self.db_name}: {exc}")
        try:
            import redis

            client = redis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
            keys = list(client.scan_iter(match=self.prefix + "*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start:start + 500])
        except Exception as exc:
            problems.append(f"could not delete Redis keys {self.prefix}*: {exc}")
        return problems
