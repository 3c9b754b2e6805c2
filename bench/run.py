"""IdP benchmark entry point:  python bench/run.py [--duration 10]

1. a throwaway PostgreSQL database and Redis key prefix; `idp db upgrade`; a client_credentials
   client, a trusted code-flow client and a user (via the `idp` CLI);
2. the baseline (bench/baseline.py): RS256 signs/s of one core and bare Flask req/s;
3. `taskset -c 0 idp serve --workers 1 --threads 8` (production mode), load generators on core 1;
4. discovery, JWKS, token (client_credentials), introspection: wrk at 32 and at 8 connections;
   the code flow (authorize + token) with bench/codeflow.py at 32 and 8 threads;
5. the worker's peak RSS (VmHWM), a table, bench/results/latest.json.

Time-bounded (a watchdog alarm), and the server, the database and the Redis keys are
removed on every exit path (error, Ctrl-C, SIGTERM, the watchdog).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import time
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wrkutil import BENCH_DIR, free_port, proc_cpu_seconds, run_wrk, wait_http  # noqa: E402

ROOT = os.path.dirname(BENCH_DIR)
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVER_CORE, LOADGEN_CORE = 0, 1
CONNECTIONS = (32, 8)
REDIRECT_URI = "http://127.0.0.1:8080/callback"
USER_EMAIL, USER_PASSWORD = "bench@example.com", "bench-" + secrets.token_urlsafe(12)

# The reference machine of the targets (bench/README.md) and its targets; scaled by this machine's baseline.
REF_SIGNS, REF_FLASK = 1450.0, 2800.0
TARGETS = {  # name: (minimum req/s at 32 connections, max p99 ms at 8 connections, baseline it scales with)
    "discovery": (2000, None, "flask"),
    "jwks": (2000, None, "flask"),
    "token_cc": (700, 25.0, "sign"),
    "introspect": (1500, 25.0, "flask"),
    "code_flow": (250, None, "sign"),
}
RSS_TARGET_MB = 150


class Watchdog(Exception):
    pass


def _raise_watchdog(*_):
    raise Watchdog("benchmark exceeded its time budget")


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


# -- setup and teardown -------------------------------------------------------------------------
class Environment:
    """Everything this run creates, so that teardown removes exactly that."""

    def __init__(self):
        run_id = secrets.token_hex(5)
        self.db_name = f"idp_bench_{run_id}"
        self.prefix = f"idpbench:{run_id}:"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_created = False
        self.server: subprocess.Popen | None = None
        self.server_log = None
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(
            DATABASE_URL=PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.db_name,
            REDIS_URL=REDIS_URL,
            REDIS_KEY_PREFIX=self.prefix,
            ISSUER=self.url,
            PORT=str(self.port),
            SESSION_SECRET=secrets.token_urlsafe(36),
            KEY_ENCRYPTION_KEY=secrets.token_urlsafe(36),
            IDP_ENV="production",
            LOG_LEVEL="WARNING",
        )
        self.env = env
        self.idp = os.path.join(os.path.dirname(sys.executable), "idp")
        if not os.path.exists(self.idp):
            self.idp = shutil.which("idp") or sys.exit("the `idp` command is not installed (pip install -e .)")

    def cli(self, *args, stdin: str | None = None) -> str:
        proc = subprocess.run([self.idp, *args], input=stdin, capture_output=True, text=True, env=self.env,
                              cwd=ROOT, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"idp {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return proc.stdout

    def create(self) -> dict:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        self.cli("db", "upgrade")
        cc = json.loads(self.cli("clients", "create", "--name", "bench", "--grant-type", "client_credentials",
                                 "--json"))
        rp = json.loads(self.cli("clients", "create", "--name", "rp", "--redirect-uri", REDIRECT_URI, "--trusted",
                                 "--json"))
        self.cli("users", "create", "--email", USER_EMAIL, "--password-stdin", stdin=USER_PASSWORD + "\n")
        return {"cc": cc, "rp": rp}

    def start_server(self) -> None:
        os.makedirs(RESULTS_DIR, exist_ok=True)
        self.server_log = open(os.path.join(RESULTS_DIR, "server.log"), "w")
        self.server = subprocess.Popen(
            ["taskset", "-c", str(SERVER_CORE), self.idp, "serve", "--workers", "1", "--threads", "8"],
            env=self.env, cwd=ROOT, stdout=self.server_log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(self.url + "/.well-known/openid-configuration", self.server, timeout=45)

    def worker_pid(self) -> int:
        """The gunicorn worker: the (single) child of the master we started."""
        master = self.server.pid
        try:
            with open(f"/proc/{master}/task/{master}/children") as handle:
                children = [int(p) for p in handle.read().split()]
        except OSError:
            children = []
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        with open(f"/proc/{entry}/stat") as handle:
                            if int(handle.read().rsplit(")", 1)[1].split()[1]) == master:
                                children.append(int(entry))
                    except OSError:
                        pass
        if len(children) != 1:
            raise RuntimeError(f"expected one gunicorn worker under {master}, found {children}")
        return children[0]

    def teardown(self) -> list[str]:
        problems = []
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


def vm_status(pid: int) -> dict:
    values = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) / 1024  # kB -> MiB
    return values


# -- the measurements ---------------------------------------------------------------------------
def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def fetch_access_token(url: str, client: dict) -> str:
    import requests

    response = requests.post(url + "/token", data={"grant_type": "client_credentials"},
                             auth=(client["client_id"], client["client_secret"]), timeout=10,
                             proxies={"http": None, "https": None})
    response.raise_for_status()
    return response.json()["access_token"]


def precheck(url: str, body: str | None, auth: str | None, expect: str) -> None:
    """One request as wrk will send it: fail before measuring anything that is not a 200 with `expect`."""
    import requests

    kwargs = dict(timeout=10, proxies={"http": None, "https": None})
    if body is None:
        response = requests.get(url, **kwargs)
    else:
        response = requests.post(url, data=body, headers={
            "Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}, **kwargs)
    if response.status_code != 200 or expect not in response.text:
        raise RuntimeError(f"precheck {url}: {response.status_code} {response.text[:200]}")


def http_scenarios(env: Environment, clients: dict, duration: float, worker: int) -> dict:
    cc = clients["cc"]
    auth = basic(cc["client_id"], cc["client_secret"])
    access_token = fetch_access_token(env.url, cc)
    lua = os.path.join(BENCH_DIR, "post.lua")
    scenarios = {
        "discovery": (env.url + "/.well-known/openid-configuration", None, '"issuer"'),
        "jwks": (env.url + "/jwks.json", None, '"keys"'),
        "token_cc": (env.url + "/token", "grant_type=client_credentials", '"access_token"'),
        "introspect": (env.url + "/introspect", urlencode({"token": access_token, "token_type_hint": "access_token"}),
                       '"active": true'),
    }
    results = {}
    for name, (url, body, expect) in scenarios.items():
        precheck(url, body, auth, expect)
        script_kwargs = {} if body is None else {"script": lua, "script_args": [body, auth]}
        run_wrk(url, 8, 1, core=LOADGEN_CORE, **script_kwargs)  # warm-up, discarded
        results[name] = {}
        for connections in CONNECTIONS:
            result = run_wrk(url, connections, duration, core=LOADGEN_CORE, server_pid=worker, **script_kwargs)
            result["rss_after_mb"] = round(vm_status(worker)["VmRSS"], 1)
            raw = result.pop("raw")
            if result["non2xx"] or any(result["socket_errors"].values()):
                result["wrk_output"] = raw
            results[name][connections] = result
            print(f"  {name:<11} c={connections:<3} {result['rps']:>9.1f} req/s  p50 {result['p50_ms']} ms  "
                  f"p99 {result['p99_ms']} ms  non2xx {result['non2xx']}", file=sys.stderr, flush=True)
        precheck(url, body, auth, expect)  # still answering correctly after the load
    return results


def code_flow(env: Environment, clients: dict, duration: float, worker: int) -> dict:
    rp = clients["rp"]
    results = {}
    for concurrency in CONNECTIONS:
        cmd = ["taskset", "-c", str(LOADGEN_CORE), sys.executable, os.path.join(BENCH_DIR, "codeflow.py"),
               "--url", env.url, "--client-id", rp["client_id"], "--client-secret", rp["client_secret"],
               "--email", USER_EMAIL, "--password", USER_PASSWORD,
               "--concurrency", str(concurrency), "--duration", str(duration)]
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_before = proc_cpu_seconds(worker)
        started = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(f"codeflow.py failed: {proc.stderr.strip()[-2000:]}")
        result = json.loads(proc.stdout)
        # CPU shares over the whole subprocess (includes its login and 1 s warm-up).
        result["loadgen_cpu_pct"] = round(100 * ((after.ru_utime - before.ru_utime) +
                                                 (after.ru_stime - before.ru_stime)) / wall, 1)
        result["server_cpu_pct"] = round(100 * (proc_cpu_seconds(worker) - server_before) / wall, 1)
        result["rss_after_mb"] = round(vm_status(worker)["VmRSS"], 1)
        results[concurrency] = result
        print(f"  code_flow   c={concurrency:<3} {result['flows_per_s']:>9.1f} flows/s p50 {result['p50_ms']} ms  "
              f"p99 {result['p99_ms']} ms  errors {result['errors']}", file=sys.stderr, flush=True)
    return results


# -- reporting ----------------------------------------------------------------------------------
def evaluate(results: dict, baseline: dict, peak_rss_mb: float) -> dict:
    signs = baseline["rs256"]["signs_per_s"]
    flask = baseline["bare_flask"]["rps"]
    scale = {"sign": signs / REF_SIGNS, "flask": flask / REF_FLASK}
    verdicts = {}
    for name, (min_rate, max_p99, basis) in TARGETS.items():
        rate_key = "flows_per_s" if name == "code_flow" else "rps"
        rate = results[name][32][rate_key]
        verdict = {"basis": basis, "scale": round(scale[basis], 3),
                   "min_rate": round(min_rate * scale[basis], 1), "rate": rate,
                   "rate_ok": rate >= min_rate * scale[basis]}
        if max_p99 is not None:
            verdict["max_p99_ms_at_8"] = round(max_p99 / scale[basis], 2)
            verdict["p99_ms_at_8"] = results[name][8]["p99_ms"]
            verdict["p99_ok"] = results[name][8]["p99_ms"] < max_p99 / scale[basis]
        verdicts[name] = verdict
    verdicts["peak_rss"] = {"max_mb": RSS_TARGET_MB, "mb": round(peak_rss_mb, 1), "ok": peak_rss_mb < RSS_TARGET_MB}
    for name, by_conn in results.items():
        for result in by_conn.values():
            rate = result.get("flows_per_s", result["rps"])
            result["ratio_to_flask"] = round(result["rps"] / flask, 3)
            if name in ("token_cc", "code_flow"):
                result["ratio_to_rs256"] = round(rate / signs, 3)
    return verdicts


def table(results: dict, baseline: dict, verdicts: dict, peak_rss_mb: float) -> str:
    signs = baseline["rs256"]["signs_per_s"]
    flask = baseline["bare_flask"]
    lines = [
        f"baseline: RS256 {signs:.0f} signs/s (1 core)   bare Flask {flask['rps']:.0f} req/s "
        f"(1 gthread worker, 32 conns, p50 {flask['p50_ms']} ms, p99 {flask['p99_ms']} ms)",
        "",
        f"{'scenario':<12}{'conns':>6}{'rate/s':>10}{'xFlask':>8}{'xRS256':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'non2xx':>8}{'sockerr':>8}{'srvCPU':>8}{'genCPU':>8}  target",
        "-" * 118,
    ]
    for name, by_conn in results.items():
        verdict = verdicts[name]
        for connections, r in by_conn.items():
            rate = r.get("flows_per_s", r["rps"])
            errors = r["errors"] if "errors" in r else r["non2xx"]
            sockerr = sum(r["socket_errors"].values()) if "socket_errors" in r else 0
            xsign = f"{r['ratio_to_rs256']:.3f}" if "ratio_to_rs256" in r else "-"
            if connections == 32:
                target = f">= {verdict['min_rate']:.0f}/s {'OK' if verdict['rate_ok'] else 'BELOW'}"
            elif "max_p99_ms_at_8" in verdict:
                target = f"p99 < {verdict['max_p99_ms_at_8']:.1f} ms {'OK' if verdict['p99_ok'] else 'ABOVE'}"
            else:
                target = ""
            label = name + (" (flows)" if name == "code_flow" else "")
            lines.append(f"{label:<12}{connections:>6}{rate:>10.1f}{r['ratio_to_flask']:>8.3f}{xsign:>8}"
                         f"{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{errors:>8}{sockerr:>8}"
                         f"{r['server_cpu_pct']:>7.0f}%{r['loadgen_cpu_pct']:>7.0f}%  {target}")
    rss = verdicts["peak_rss"]
    lines += ["", f"worker peak RSS (VmHWM): {peak_rss_mb:.1f} MiB   target < {rss['max_mb']} MB "
                  f"{'OK' if rss['ok'] else 'ABOVE'}",
              "xFlask = req/s / bare Flask req/s (code flow: 2 requests per flow); "
              "xRS256 = tokens or flows/s / RS256 signs/s; targets scaled by this machine's baseline"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the IdP's hot endpoints (see bench/README.md).")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (default 10)")
    parser.add_argument("--baseline-duration", type=float, default=10.0, help="bare Flask wrk seconds (default 10)")
    args = parser.parse_args()
    if args.duration < 2 or args.duration > 120:
        parser.error("--duration must be between 2 and 120 seconds")
    if (os.cpu_count() or 1) < 2:
        sys.exit("needs two cores: the server on core 0, the load generators on core 1")
    if not shutil.which("wrk") or not shutil.which("taskset"):
        sys.exit("needs wrk and taskset on PATH")

    measurements = 5 * len(CONNECTIONS)
    budget = 180 + args.baseline_duration + measurements * (args.duration + 10)
    signal.signal(signal.SIGALRM, _raise_watchdog)
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    signal.alarm(int(budget))
    os.sched_setaffinity(0, {LOADGEN_CORE})  # the orchestrator stays off the server's core

    env = Environment()
    status = 1
    try:
        print(f"setup: database {env.db_name}, Redis prefix {env.prefix}, {env.url}", file=sys.stderr, flush=True)
        clients = env.create()
        print("baseline ...", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, os.path.join(BENCH_DIR, "baseline.py"),
                               "--duration", str(args.baseline_duration)],
                              capture_output=True, text=True, timeout=args.baseline_duration + 90)
        if proc.returncode != 0:
            raise RuntimeError(f"baseline.py failed: {proc.stderr.strip()[-2000:]}")
        baseline = json.loads(proc.stdout)
        print(f"  RS256 {baseline['rs256']['signs_per_s']} signs/s, bare Flask {baseline['bare_flask']['rps']} req/s",
              file=sys.stderr, flush=True)
        env.start_server()
        worker = env.worker_pid()
        rss_start = vm_status(worker)
        print(f"server up (worker pid {worker}, RSS {rss_start['VmRSS']:.1f} MiB)", file=sys.stderr, flush=True)
        results = http_scenarios(env, clients, args.duration, worker)
        results["code_flow"] = code_flow(env, clients, args.duration, worker)
        memory = vm_status(worker)
        if env.server.poll() is not None:
            raise RuntimeError("the server died during the run")
        verdicts = evaluate(results, baseline, memory["VmHWM"])
        text = table(results, baseline, verdicts, memory["VmHWM"])
        print(text)
        report = {
            "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpu": _cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version(),
                        "kernel": platform.release()},
            "settings": {"duration_s": args.duration, "connections": list(CONNECTIONS),
                         "server": "taskset -c 0 idp serve --workers 1 --threads 8 (gthread)",
                         "loadgen": "taskset -c 1 wrk -t1 --latency / bench/codeflow.py"},
            "baseline": baseline,
            "worker_memory_mb": {"start_rss": round(rss_start["VmRSS"], 1), "end_rss": round(memory["VmRSS"], 1),
                                 "peak_hwm": round(memory["VmHWM"], 1)},
            "results": results,
            "targets": verdicts,
            "table": text,
        }
        os.makedirs(RESULTS_DIR, exist_ok=True)
        with open(os.path.join(RESULTS_DIR, "latest.json"), "w") as handle:
            json.dump(report, handle, indent=2)
        print(f"\nwrote {os.path.relpath(os.path.join(RESULTS_DIR, 'latest.json'), ROOT)}", file=sys.stderr)
        status = 0
    except (Watchdog, KeyboardInterrupt, SystemExit) as exc:
        print(f"aborted: {exc or type(exc).__name__}", file=sys.stderr)
    except Exception as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        signal.alarm(60)  # teardown is bounded too
        try:
            for problem in env.teardown():
                print(f"cleanup: {problem}", file=sys.stderr)
        except Watchdog:
            print("cleanup: timed out", file=sys.stderr)
        signal.alarm(0)
    return status


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
