"""IdP benchmark entry point:  python bench/run.py [--duration 10] [--server granian|gunicorn]

Every figure is given as a ratio to node oidc-provider (bench/reference, issue 20), measured in the
same run, on the same core, by the same load generators:

1. `npm ci` in bench/reference when its pinned oidc-provider is missing;
   a throwaway PostgreSQL database and Redis key prefix; `idp db upgrade`; a client_credentials
   client, a trusted code-flow client and a user (via the `idp` CLI); the reference gets the same;
2. the baseline (bench/baseline.py): RS256 signs/s of one core and bare Flask req/s, and the stack's
   floor (bench/authlib_floor_app.py), as context;
3. `taskset -c 0 idp serve --workers 1` (production mode: granian, four blocking threads; or --server gunicorn)
   and `taskset -c 0 node bench/reference/server.js`, load generators on core 1;
4. discovery, JWKS, token (client_credentials), introspection: wrk at 32 and at 8 connections, the
   IdP and the reference taking turns; the code flow (authorize + token) with bench/codeflow.py at 32
   and 8 threads, likewise, and with bench/codeflow.js; the refresh_token grant with rotation
   (bench/refresh.js: one chain per connection), likewise;
5. the worker's and the Node process's peak RSS (VmHWM); the ratio table (bench/ratios.py) with a
   verdict per row, the detailed tables, bench/results/latest.json.

`--only refresh,code_flow` runs a subset of the scenarios (SCENARIOS) after the baseline.
Time-bounded (a watchdog alarm), and both servers, the database and the Redis keys are
removed on every exit path (error, Ctrl-C, SIGTERM, the watchdog).
"""

from __future__ import annotations

import argparse
import base64
import copy
import dataclasses
import importlib.metadata
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from authlib_floor_app import CLIENT_ID as FLOOR_CLIENT_ID, CLIENT_SECRET as FLOOR_CLIENT_SECRET  # noqa: E402
from baseline import one_worker  # noqa: E402
from idp.cli.serve import THREADS as SERVE_THREADS  # noqa: E402  (what `idp serve` runs by default)
from ratios import ratio_rows, ratio_table  # noqa: E402
from report import (  # noqa: E402
    DISTURBED_PCT, annotate, cpu_ms_per_op, evaluate, floor_table, reference_table, table,
)
from refserver import NPM_CI_TIMEOUT, ReferenceServer, ensure_installed  # noqa: E402
from wrkutil import (  # noqa: E402
    BENCH_DIR, ROOT, Deployment, Meter, run_wrk, wait_until_quiet,
)

RESULTS_DIR = os.path.join(BENCH_DIR, "results")
SERVER_CORE, LOADGEN_CORE = 0, 1
CONNECTIONS = (32, 8)
THREADS = 1  # threads of the one worker, as `idp serve` runs it (--threads); the bare-Flask baseline runs with the same
KEY_CACHE_WAIT = 6  # seconds: longer than the default KEY_CACHE_SECONDS
REDIRECT_URI = "http://127.0.0.1:8080/callback"
USER_EMAIL, USER_PASSWORD = "bench@example.com", "bench-" + secrets.token_urlsafe(12)
HTTP_SCENARIOS = ("discovery", "jwks", "token_cc", "introspect")  # wrk, both targets
SCENARIOS = HTTP_SCENARIOS + ("token_cc_3keys", "token_auth", "code_flow", "code_flow_node", "refresh")
FLOOR_SCENARIOS = ("token_cc", "introspect", "code_flow")  # the stack's floor is measured when all of these are



class Watchdog(Exception):
    pass


def _raise_watchdog(*_):
    raise Watchdog("benchmark exceeded its time budget")


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


# -- setup and teardown -------------------------------------------------------------------------
class Environment(Deployment):
    """The bench's IdP, with a client_credentials client, a trusted relying party and a user."""

    def __init__(self):
        super().__init__("bench")

    def create(self) -> dict:
        self.create_database()
        cc = json.loads(self.cli("clients", "create", "--name", "bench", "--grant-type", "client_credentials",
                                 "--json"))
        # refresh_token allowed: the refresh scenario's chains ask for offline_access (the code flow does not,
        # so it gets no refresh token)
        rp = json.loads(self.cli("clients", "create", "--name", "rp", "--redirect-uri", REDIRECT_URI, "--trusted",
                                 "--grant-type", "authorization_code", "--grant-type", "refresh_token", "--json"))
        self.cli("users", "create", "--email", USER_EMAIL, "--password-stdin", stdin=USER_PASSWORD + "\n")
        return {"cc": cc, "rp": rp}

    def start_server(self, server: str = "granian") -> None:
        super().start_server(SERVER_CORE, THREADS, os.path.join(RESULTS_DIR, "server.log"), server=server)


def vm_status(pid: int) -> dict:
    values = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) / 1024  # kB -> MiB
    return values


def run_gracefully(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """subprocess.run, except that on any interruption the child gets SIGTERM first, so that it can
    stop what it started itself (baseline.py's gunicorn) before SIGKILL."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except BaseException:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def measure_quietly(measure, quiet_wait: float, label: str) -> dict:
    """Run a measurement; when other processes took more than DISTURBED_PCT of the cores meanwhile,
    wait (bounded) for a quiet machine and repeat it once, keeping the less disturbed of the two."""
    result = measure()
    if result["other_cpu_pct"] > DISTURBED_PCT:
        print(f"  {label}: disturbed ({result['other_cpu_pct']:.0f}% CPU used by others), repeating once",
              file=sys.stderr, flush=True)
        wait_until_quiet(min(quiet_wait, 30), log=lambda m: print(m, file=sys.stderr, flush=True))
        again = measure()
        again["repeated"] = True
        result = min(result, again, key=lambda r: r["other_cpu_pct"])
    result["disturbed"] = result["other_cpu_pct"] > DISTURBED_PCT
    return result


def bracketed(before: dict, after: dict) -> dict:
    """The baseline measured before and after the IdP's runs, averaged: this kind of machine drifts
    (the same code measured minutes apart differs by up to a third), and the mean of both ends
    follows the drift better than either. `drift_pct` says how far apart the two ends were."""
    combined = copy.deepcopy(before)
    for part, key in (("rs256", "signs_per_s"), ("bare_flask", "rps")):
        first, last = before[part][key], after[part][key]
        combined[part][key] = round((first + last) / 2, 1)
        combined[part]["start_end"] = [first, last]
        combined[part]["drift_pct"] = round(100 * abs(last - first) / max(first, last), 1)
    return combined


# -- the measurements ---------------------------------------------------------------------------
def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def fetch_access_token(url: str, client: dict, resource: str | None = None) -> str:
    import requests

    data = {"grant_type": "client_credentials", **({"resource": resource} if resource else {})}
    response = requests.post(url + "/token", data=data, auth=(client["client_id"], client["client_secret"]),
                             timeout=10, proxies={"http": None, "https": None})
    response.raise_for_status()
    return response.json()["access_token"]


@dataclasses.dataclass
class Target:
    """A server under measurement: the IdP's worker or the reference's Node process (its pid is the one
    whose CPU and RSS are measured), and what differs between them for the same scenarios."""
    name: str
    url: str
    pid: int
    introspect_token: str  # the IdP's JWT access token; an opaque one from the reference (server.js)
    login_by_redirect: bool = False  # bench/codeflow.py's way to sign in


def precheck(url: str, body: str | None, auth: str | None, expect: str) -> None:
    """One request as wrk will send it: fail before measuring anything that is not a 200 matching `expect`
    (a regular expression: the reference's JSON has no blanks, the IdP's has)."""
    import requests

    kwargs = dict(timeout=10, proxies={"http": None, "https": None})
    if body is None:
        response = requests.get(url, **kwargs)
    else:
        response = requests.post(url, data=body, headers={
            "Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}, **kwargs)
    if response.status_code != 200 or not re.search(expect, response.text):
        raise RuntimeError(f"precheck {url}: {response.status_code} {response.text[:200]}")


def http_scenarios(targets: list[Target], cc: dict, duration: float, quiet_wait: float,
                   only: tuple[str, ...] = HTTP_SCENARIOS) -> dict:
    """Each scenario at 32 and 8 connections, the targets (the IdP, then the reference) taking turns at
    each, so that the machine's drift falls on both alike. Returns {target name: {scenario: {connections: result}}}."""
    auth = basic(cc["client_id"], cc["client_secret"])
    lua = os.path.join(BENCH_DIR, "post.lua")
    scenarios = {
        "discovery": ("/.well-known/openid-configuration", lambda t: None, '"issuer"'),
        "jwks": ("/jwks.json", lambda t: None, '"keys"'),
        "token_cc": ("/token", lambda t: "grant_type=client_credentials", '"access_token"'),
        "introspect": ("/introspect", lambda t: urlencode({"token": t.introspect_token,
                                                            "token_type_hint": "access_token"}), '"active": ?true'),
    }
    results = {target.name: {} for target in targets}
    for name, (path, body_for, expect) in scenarios.items():
        if name not in only:
            continue
        requests_of = {}
        for target in targets:
            url, body = target.url + path, body_for(target)
            precheck(url, body, auth, expect)
            script_kwargs = {} if body is None else {"script": lua, "script_args": [body, auth]}
            run_wrk(url, 8, 1, core=LOADGEN_CORE, **script_kwargs)  # warm-up, discarded
            requests_of[target.name] = (url, body, script_kwargs)
            results[target.name][name] = {}
        for connections in CONNECTIONS:
            for target in targets:
                url, _, script_kwargs = requests_of[target.name]
                result = measure_quietly(
                    lambda: run_wrk(url, connections, duration, core=LOADGEN_CORE, server_pid=target.pid,
                                    **script_kwargs),
                    quiet_wait, f"{target.name} {name} c={connections}")
                result["rss_after_mb"] = round(vm_status(target.pid)["VmRSS"], 1)
                raw = result.pop("raw")
                if result["non2xx"] or any(result["socket_errors"].values()):
                    result["wrk_output"] = raw
                results[target.name][name][connections] = result
                print(f"  {target.name:<9} {name:<11} c={connections:<3} {result['rps']:>9.1f} req/s  "
                      f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  non2xx {result['non2xx']}",
                      file=sys.stderr, flush=True)
        for target in targets:
            url, body, _ = requests_of[target.name]
            precheck(url, body, auth, expect)  # still answering correctly after the load
    return results


def token_with_more_keys(env: Environment, clients: dict, duration: float, worker: int, quiet_wait: float) -> dict:
    """Issue 3: signing cost must not depend on how many keys the JWKS publishes (rotate -> 3 keys)."""
    env.cli("keys", "rotate", "--force")
    time.sleep(KEY_CACHE_WAIT)  # the worker re-reads the key table within KEY_CACHE_SECONDS
    published = len(json.loads(urllib.request.urlopen(env.url + "/jwks.json", timeout=5).read())["keys"])
    cc = clients["cc"]
    auth = basic(cc["client_id"], cc["client_secret"])
    url, body = env.url + "/token", "grant_type=client_credentials"
    script = {"script": os.path.join(BENCH_DIR, "post.lua"), "script_args": [body, auth]}
    run_wrk(url, 8, 1, core=LOADGEN_CORE, **script)
    result = measure_quietly(lambda: run_wrk(url, 32, duration, core=LOADGEN_CORE, server_pid=worker, **script),
                             quiet_wait, "token_cc with more keys")
    result.pop("raw", None)
    result["published_keys"] = published
    print(f"  token_cc   c=32  {result['rps']:>9.1f} req/s with {published} published keys", file=sys.stderr, flush=True)
    return {32: result}


LOADGENS = {  # client: the program, pinned to the load core
    "python": [sys.executable, os.path.join(BENCH_DIR, "codeflow.py")],
    "node": ["node", os.path.join(BENCH_DIR, "codeflow.js")],  # a client outside Python (issue 37)
    "refresh": ["node", os.path.join(BENCH_DIR, "refresh.js")],  # refresh_token chains with rotation (issue 37)
}


def run_codeflow(url: str, client_id: str, secret: str, concurrency: int, duration: float, worker: int | None,
                 login: bool = True, login_by_redirect: bool = False, client: str = "python") -> dict:
    """bench/codeflow.py (or, client="node", bench/codeflow.js; client="refresh", bench/refresh.js)
    pinned to the load core; its figures plus the worker's CPU per flow (per refresh)."""
    program = LOADGENS[client]
    cmd = ["taskset", "-c", str(LOADGEN_CORE), *program,
           "--url", url, f"--client-id={client_id}", f"--client-secret={secret}",
           "--concurrency", str(concurrency), "--duration", str(duration)]
    cmd += ["--email", USER_EMAIL, "--password", USER_PASSWORD] if login else ["--no-login"]
    cmd += ["--login-by-redirect"] if login_by_redirect else []
    # CPU shares over the whole subprocess (which includes its login and 1 s warm-up).
    with Meter(worker) as meter:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"{program[-1]} failed: {proc.stderr.strip()[-2000:]}")
    result = json.loads(proc.stdout)
    result.update(meter.figures())
    if result.get("flows_per_s") and worker:
        result["server_cpu_ms_per_flow"] = round(10 * meter.server_cpu_pct / result["flows_per_s"], 3)
    if result.get("refreshes_per_s") and worker:
        result["server_cpu_ms_per_req"] = round(10 * meter.server_cpu_pct / result["refreshes_per_s"], 3)
    return result


def client_runs(targets: list[Target], rp: dict, duration: float, quiet_wait: float, client: str, label: str,
                rate_key: str, unit: str, check=None) -> dict:
    """A client-driven scenario (run_codeflow's `client`) at 32 and 8 concurrent loops on each target in
    turn; `check(target name, result)` may refuse a result. {target name: {connections: result}}."""
    results = {target.name: {} for target in targets}
    for concurrency in CONNECTIONS:
        for target in targets:
            result = measure_quietly(
                lambda: run_codeflow(target.url, rp["client_id"], rp["client_secret"], concurrency, duration,
                                     target.pid, login_by_redirect=target.login_by_redirect, client=client),
                quiet_wait, f"{target.name} {label} c={concurrency}")
            if check:
                check(target.name, result)
            result["rss_after_mb"] = round(vm_status(target.pid)["VmRSS"], 1)
            results[target.name][concurrency] = result
            print(f"  {target.name:<9} {label}  c={concurrency:<3} {result[rate_key]:>9.1f} {unit} "
                  f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  errors {result['errors']}",
                  file=sys.stderr, flush=True)
    return results


def code_flow(targets: list[Target], rp: dict, duration: float, quiet_wait: float, client: str = "python") -> dict:
    """The code flow at 32 and 8 concurrent flows on each target in turn, driven by `client`;
    {target name: {connections: result}}."""
    return client_runs(targets, rp, duration, quiet_wait, client, f"code_flow ({client})", "flows_per_s", "flows/s")


def refresh_chains(targets: list[Target], rp: dict, duration: float, quiet_wait: float) -> dict:
    """The refresh_token grant with rotation (bench/refresh.js: one chain per connection, each refresh
    sending the token the previous answer returned) at 32 and 8 connections on each target in turn;
    {target name: {connections: result}}. A server that does not refuse a rotated token presented again
    (reuse detection, RFC 9700 4.14.2) fails the run."""
    def reuse_detected(name: str, result: dict) -> None:
        if result["reuse_detected"] is False:
            raise RuntimeError(f"{name} accepted a rotated refresh token again (no reuse detection)")

    return client_runs(targets, rp, duration, quiet_wait, "refresh", "refresh", "refreshes_per_s", "refreshes/s",
                       check=reuse_detected)


def stack_floor(duration: float, quiet_wait: float) -> dict:
    """Flask + authlib with nothing behind them (bench/authlib_floor_app.py), served as the IdP is, at
    32 connections: what the stack itself costs per token request, introspection and code flow, before
    any signature, storage round trip or line of the IdP. Compared with each target in the table."""
    auth = basic(FLOOR_CLIENT_ID, FLOOR_CLIENT_SECRET)
    post = os.path.join(BENCH_DIR, "post.lua")
    results = {}
    with one_worker("authlib_floor_app:app", "/health", threads=THREADS) as (base, worker):
        for name, path, body in (("token_cc", "/token", "grant_type=client_credentials"),
                                 ("introspect", "/introspect", "token=abc")):
            script = {"script": post, "script_args": [body, auth]}
            run_wrk(base + path, 8, 1, core=LOADGEN_CORE, **script)  # warm-up, discarded
            result = measure_quietly(lambda: run_wrk(base + path, 32, duration, core=LOADGEN_CORE, server_pid=worker,
                                                     **script), quiet_wait, f"floor {name}")
            result.pop("raw", None)
            if result["non2xx"]:
                raise RuntimeError(f"the floor app answered {result['non2xx']} errors on {path}")
            results[name] = result
        result = measure_quietly(lambda: run_codeflow(base, FLOOR_CLIENT_ID, FLOOR_CLIENT_SECRET, 32, duration, worker,
                                                      login=False), quiet_wait, "floor code_flow")
        if result["errors"]:
            raise RuntimeError(f"the floor app's code flow had errors: {result['error_kinds']}")
        results["code_flow"] = result
    for name, r in results.items():
        print(f"  floor {name:<11} c=32 {r.get('flows_per_s', r['rps']):>9.1f}/s  {cpu_ms_per_op(r)} ms CPU each",
              file=sys.stderr, flush=True)
    return results


def token_auth(env: Environment, duration: float) -> dict:
    """Token requests/s with client_secret_basic, private_key_jwt and DPoP, in one run (bench/token_auth.py)."""
    registration_token = env.cli("clients", "registration-token", "--uses", "2").strip()
    cmd = ["taskset", "-c", str(LOADGEN_CORE), sys.executable, os.path.join(BENCH_DIR, "token_auth.py"),
           "--url", env.url, f"--registration-token={registration_token}", "--concurrency", "8",
           "--duration", str(duration)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=4 * duration + 180)
    if proc.returncode != 0:
        raise RuntimeError(f"token_auth.py failed: {proc.stderr.strip()[-2000:]}")
    results = json.loads(proc.stdout)
    for name, r in results.items():
        print(f"  token {name:<19} c=8   {r['rps']:>9.1f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
              f"errors {r['errors']}  x{r['vs_client_secret_basic']} of client_secret_basic", file=sys.stderr,
              flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the IdP's hot endpoints (see bench/README.md).")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (default 10)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of the one worker (granian: blocking threads; default as `idp serve`: "
                             "granian 4, gunicorn 2), and the bare-Flask baseline's gunicorn threads")
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian",
                        help="`idp serve --server`: granian (its default) or gunicorn")
    parser.add_argument("--baseline-duration", type=float, default=10.0, help="bare Flask wrk seconds (default 10)")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="wait at most this long for the machine to be idle before measuring (default 60)")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help="comma-separated scenarios to run after the baseline (default all: "
                             + ",".join(SCENARIOS) + "); the stack's floor runs only with "
                             + ", ".join(FLOOR_SCENARIOS))
    args = parser.parse_args()
    only = tuple(name.strip() for name in args.only.split(",") if name.strip())
    unknown = sorted(set(only) - set(SCENARIOS))
    if unknown or not only:
        parser.error(f"--only: unknown scenario(s) {', '.join(unknown) or '(none given)'}; "
                     f"choose among {', '.join(SCENARIOS)}")
    global THREADS
    THREADS = args.threads or SERVE_THREADS[args.server]
    baseline_threads = args.threads or SERVE_THREADS["gunicorn"]  # bare Flask runs under gunicorn gthread
    if args.duration < 2 or args.duration > 120:
        parser.error("--duration must be between 2 and 120 seconds")
    if (os.cpu_count() or 1) < 2:
        sys.exit("needs two cores: the server on core 0, the load generators on core 1")
    if not shutil.which("wrk") or not shutil.which("taskset"):
        sys.exit("needs wrk and taskset on PATH")

    # the IdP's and the reference's; each may be repeated once after a bounded wait for a quiet machine
    measurements = 2 * 6 * len(CONNECTIONS) + 3
    budget = (240 + NPM_CI_TIMEOUT + 4 * args.duration + 180 + 4 * args.quiet_wait + 4 * (args.baseline_duration + 15)
              + measurements * (2 * (args.duration + 8) + min(args.quiet_wait, 30)))
    signal.signal(signal.SIGALRM, _raise_watchdog)
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    signal.alarm(int(budget))
    os.sched_setaffinity(0, {LOADGEN_CORE})  # the orchestrator stays off the server's core

    env = Environment()
    reference: ReferenceServer | None = None
    status = 1
    try:
        print(f"setup: database {env.db_name}, Redis prefix {env.prefix}, {env.url}", file=sys.stderr, flush=True)
        log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
        ref_version = ensure_installed(log)
        clients = env.create()
        reference = ReferenceServer(clients, USER_EMAIL, USER_PASSWORD)
        idle_before = wait_until_quiet(args.quiet_wait, log=log)
        print("baseline ...", file=sys.stderr, flush=True)
        def run_baseline():
            proc = run_gracefully([sys.executable, os.path.join(BENCH_DIR, "baseline.py"),
                                   "--duration", str(args.baseline_duration), "--threads", str(baseline_threads)], timeout=args.baseline_duration + 90)
            if proc.returncode != 0:
                raise RuntimeError(f"baseline.py failed: {proc.stderr.strip()[-2000:]}")
            figures = json.loads(proc.stdout)
            figures["other_cpu_pct"] = figures["bare_flask"]["other_cpu_pct"]
            return figures

        baseline = measure_quietly(run_baseline, args.quiet_wait, "baseline")
        print(f"  RS256 {baseline['rs256']['signs_per_s']} signs/s, bare Flask {baseline['bare_flask']['rps']} req/s",
              file=sys.stderr, flush=True)
        floor = None
        if set(FLOOR_SCENARIOS) <= set(only):
            print("the stack's floor (bench/authlib_floor_app.py) ...", file=sys.stderr, flush=True)
            floor = stack_floor(args.duration, args.quiet_wait)
        env.start_server(args.server)
        worker = env.worker_pid()
        rss_start = vm_status(worker)
        reference.start(SERVER_CORE, os.path.join(RESULTS_DIR, "reference.log"))
        idle_before_idp = wait_until_quiet(args.quiet_wait, log=log)
        print(f"servers up (IdP worker pid {worker}, RSS {rss_start['VmRSS']:.1f} MiB; reference pid {reference.pid}, "
              f"RSS {vm_status(reference.pid)['VmRSS']:.1f} MiB)", file=sys.stderr, flush=True)
        cc = clients["cc"]
        targets = [Target("idp", env.url, worker, fetch_access_token(env.url, cc)),
                   Target("reference", reference.url, reference.pid,
                          fetch_access_token(reference.url, cc, reference.opaque_resource), login_by_redirect=True)]
        measured = http_scenarios(targets, cc, args.duration, args.quiet_wait, only)
        results, ref_results = measured["idp"], measured["reference"]
        if "token_cc_3keys" in only:
            results["token_cc_3keys"] = token_with_more_keys(env, clients, args.duration, worker, args.quiet_wait)
        by_auth_method = token_auth(env, args.duration) if "token_auth" in only else {}
        hwm_before_logins = vm_status(worker)["VmHWM"]  # the code flow logs in (argon2id: 64 MiB per verification)
        if "code_flow" in only:
            flows = code_flow(targets, clients["rp"], args.duration, args.quiet_wait)
            results["code_flow"], ref_results["code_flow"] = flows["idp"], flows["reference"]
        if "code_flow_node" in only:
            # the same flows driven from outside Python (Node's http client): a Python client saturating its core
            # hides how much faster the faster server is (issue 37: the two disagreed, 0.81x and 0.63x)
            flows = code_flow(targets, clients["rp"], args.duration, args.quiet_wait, client="node")
            results["code_flow_node"], ref_results["code_flow_node"] = flows["idp"], flows["reference"]
        if "refresh" in only:
            chains = refresh_chains(targets, clients["rp"], args.duration, args.quiet_wait)
            results["refresh"], ref_results["refresh"] = chains["idp"], chains["reference"]
        memory, ref_memory = vm_status(worker), vm_status(reference.pid)
        if env.server.poll() is not None or reference.proc.poll() is not None:
            raise RuntimeError("a server died during the run")
        print("baseline again (the machine's speed drifts) ...", file=sys.stderr, flush=True)
        baseline = bracketed(baseline, measure_quietly(run_baseline, args.quiet_wait, "baseline at the end"))
        verdicts = evaluate(results, baseline, memory["VmHWM"])
        annotate(ref_results, baseline)
        rows = ratio_rows(results, ref_results, memory["VmHWM"], ref_memory["VmHWM"])
        server_label = (f"idp serve --server {args.server} --workers 1 --threads {THREADS} "
                        f"({args.server} {importlib.metadata.version(args.server)})")
        text = ratio_table(rows, f"node oidc-provider {ref_version}", server_label)
        text += "\n\n" + table(results, baseline, verdicts, memory["VmHWM"], hwm_before_logins)
        text += "\n\n" + reference_table(ref_results, ref_version, ref_memory["VmHWM"])
        if floor:
            text += "\n\n" + floor_table(floor, results, baseline, verdicts)
        if by_auth_method:
            text += "\n\ntoken requests/s by client authentication (client_credentials, 8 connections, one run):\n" + "\n".join(
                f"  {name:<20}{r['rps']:>9.1f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  errors {r['errors']}  "
                f"x{r['vs_client_secret_basic']}" for name, r in by_auth_method.items())
        print(text)
        report = {
            "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpu": _cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version(),
                        "kernel": platform.release(), "node": node_version()},
            "background_cpu_pct_before": {"baseline": idle_before, "idp": idle_before_idp},
            "settings": {"duration_s": args.duration, "connections": list(CONNECTIONS), "scenarios": list(only),
                         "server": f"taskset -c 0 {server_label}",
                         "reference": f"taskset -c 0 node bench/reference/server.js (oidc-provider {ref_version})",
                         "loadgen": "taskset -c 1 wrk -t1 --latency / bench/codeflow.py / node bench/codeflow.js / "
                                    "node bench/refresh.js"},
            "ratios_to_reference": rows,
            "baseline": baseline,
            "worker_memory_mb": {"start_rss": round(rss_start["VmRSS"], 1), "start_hwm": round(rss_start["VmHWM"], 1),
                                 "end_rss": round(memory["VmRSS"], 1), "peak_hwm": round(memory["VmHWM"], 1),
                                 "hwm_before_code_flow_logins": round(hwm_before_logins, 1)},
            "reference_memory_mb": {"end_rss": round(ref_memory["VmRSS"], 1), "peak_hwm": round(ref_memory["VmHWM"], 1)},
            "results": results,
            "reference_results": ref_results,
            "token_by_client_auth": by_auth_method,
            "stack_floor": floor,
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
            for problem in (reference.stop() if reference else []) + env.teardown():
                print(f"cleanup: {problem}", file=sys.stderr)
        except Watchdog:
            print("cleanup: timed out", file=sys.stderr)
        signal.alarm(0)
    return status


def node_version() -> str:
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


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
