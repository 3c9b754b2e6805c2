"""Password-login benchmark:  python bench/login.py [--duration 10] [--concurrency 4]

What one login costs a core: the hosted-page transaction a person goes through when a
relying party sends them to sign in, consent already given:
    GET /authorize -> 302 /login       GET /login (the form, its CSRF token)
    POST /login (email, password)      -> 302 /authorize -> 302 to the callback with ?code=
One argon2id verification per login (OWASP parameters, m=19 MiB, t=2, p=1), nothing more.

1. a throwaway PostgreSQL database and Redis key prefix; `idp db upgrade`; a user and a
   (non-trusted) client via the `idp` CLI; one login with consent, so consent is remembered;
2. `taskset -c 0 idp serve --workers 1 --threads 8` (production mode); this script's load
   threads run pinned to core 1; each loop is one new browser (keeping its device cookie,
   as a returning person does, so no "new sign-in" email per loop);
3. prints logins/s, p50/p99 of the whole transaction and of the POST, errors, and the
   in-process cost of one argon2id verification for reference; bench/results/login.json.

Time-bounded (a watchdog alarm); the server, the database and the Redis keys are removed
on every exit path. The rate limits are raised for the run (all load comes from 127.0.0.1).
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)
from wrkutil import Deployment  # noqa: E402

from idp.selftest.relying_party import hidden_fields  # noqa: E402  (the form reader the selftest uses)
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
SERVER_CORE, LOADGEN_CORE = 0, 1
REDIRECT_URI = "http://127.0.0.1:8080/callback"
EMAIL, PASSWORD = "bench-login@example.com", "bench " + secrets.token_urlsafe(12)


class Watchdog(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


class Environment(Deployment):
    """The login bench's IdP: one relying party and one user; rate limits out of the way."""

    def __init__(self):
        super().__init__("benchlogin", RATE_LIMIT_MAX_REQUESTS="100000000", ENABLE_AUDIT_LOGS="false")

    def create(self) -> dict:
        self.create_database()
        client = json.loads(self.cli("clients", "create", "--name", "bench rp", "--redirect-uri", REDIRECT_URI,
                                     "--scope", "openid profile email", "--json"))
        self.cli("users", "create", "--email", EMAIL, "--password-stdin", stdin=PASSWORD + "\n")
        return client

    def start_server(self) -> None:
        super().start_server(SERVER_CORE, 8, os.path.join(RESULTS_DIR, "login-server.log"))

    def teardown(self) -> None:
        for problem in super().teardown():
            print(f"cleanup: {problem}", file=sys.stderr)


# -- one login ----------------------------------------------------------------------------------
def authorize_url(url: str, client_id: str) -> tuple[str, dict]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return url + "/authorize", {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
                                "scope": "openid email", "state": secrets.token_urlsafe(8),
                                "code_challenge": challenge, "code_challenge_method": "S256"}


def follow(http: requests.Session, url: str, response: requests.Response) -> requests.Response:
    """Follow the IdP's own redirects; stop at the relying party's."""
    while response.status_code == 302 and urljoin(url + "/", response.headers["Location"]).startswith(url + "/"):
        response = http.get(urljoin(url + "/", response.headers["Location"]), allow_redirects=False, timeout=15)
    return response


def login_once(http: requests.Session, url: str, client_id: str, consent: bool = False) -> tuple[str | None, float]:
    """One transaction; returns (code or None, seconds spent in the POST /login)."""
    endpoint, params = authorize_url(url, client_id)
    response = http.get(endpoint, params=params, allow_redirects=True, timeout=15)
    fields = hidden_fields(response.text)
    fields.update(email=EMAIL, password=PASSWORD)
    started = time.monotonic()
    response = http.post(url + "/login", data=fields, allow_redirects=False, timeout=15)
    posted = time.monotonic() - started
    response = follow(http, url, response)
    if consent and "would like to" in response.text:
        fields = hidden_fields(response.text)
        fields["allow"] = "Allow"
        response = follow(http, url, http.post(url + "/consent", data=fields, allow_redirects=False, timeout=15))
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith(REDIRECT_URI):
        return None, posted
    return parse_qs(urlsplit(location).query).get("code", [None])[0], posted


def load(url: str, client_id: str, concurrency: int, duration: float, warmup: float = 1.0) -> dict:
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + duration
    lock = threading.Lock()
    totals, posts, errors = [], [], collections.Counter()

    def worker():
        http = requests.Session()
        http.trust_env = False
        while time.monotonic() < stop_at:
            http.cookies.set("idp_session", None)  # a new browser session, the same device
            t0 = time.monotonic()
            try:
                code, posted = login_once(http, url, client_id)
            except requests.RequestException as exc:
                with lock:
                    errors[type(exc).__name__] += 1
                continue
            t1 = time.monotonic()
            with lock:
                if code is None:
                    errors["no code"] += 1
                elif t0 >= measure_from and t1 <= stop_at:
                    totals.append((t1 - t0) * 1e3)
                    posts.append(posted * 1e3)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, stop_at - time.monotonic()) + 20)
    return {"concurrency": concurrency, "logins": len(totals), "logins_per_s": round(len(totals) / duration, 1),
            "p50_ms": round(percentile(totals, 50), 1), "p99_ms": round(percentile(totals, 99), 1),
            "post_login_p50_ms": round(percentile(posts, 50), 1), "post_login_p99_ms": round(percentile(posts, 99), 1),
            "errors": sum(errors.values()), "error_kinds": dict(errors)}


def one_hash_ms() -> float:
    """What one argon2id verification costs this core, in process (the floor of a login)."""
    from idp.plumbing.security import hash_password, verify_password

    stored = hash_password("reference password")
    started = time.perf_counter()
    for _ in range(10):
        verify_password(stored, "reference password")
    return round((time.perf_counter() - started) * 100, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(Watchdog("the benchmark ran out of time")))
    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))
    signal.alarm(int(args.duration + 150))
    environment = Environment()
    try:
        client = environment.create()
        environment.start_server()
        os.sched_setaffinity(0, {LOADGEN_CORE})  # the load and the reference hash on the other core
        reference = one_hash_ms()
        http = requests.Session()
        http.trust_env = False
        code, _ = login_once(http, environment.url, client["client_id"], consent=True)  # consent, once
        if code is None:
            raise RuntimeError("the first login did not produce a code; see bench/results/login-server.log")
        result = load(environment.url, client["client_id"], args.concurrency, args.duration)
        result.update(argon2id_verify_ms=reference, server_core=SERVER_CORE, loadgen_core=LOADGEN_CORE,
                      duration_s=args.duration)
        os.makedirs(RESULTS_DIR, exist_ok=True)
        with open(os.path.join(RESULTS_DIR, "login.json"), "w") as handle:
            json.dump(result, handle, indent=2)
        print(f"password login, one gunicorn worker on core {SERVER_CORE}, {args.concurrency} clients on core "
              f"{LOADGEN_CORE}, {args.duration:.0f} s")
        print(f"  {result['logins_per_s']} logins/s   p50 {result['p50_ms']} ms   p99 {result['p99_ms']} ms   "
              f"(POST /login p99 {result['post_login_p99_ms']} ms)   errors {result['errors']}")
        print(f"  one argon2id verification: {reference} ms on this machine")
        print(json.dumps(result))
    finally:
        signal.alarm(0)
        environment.teardown()


if __name__ == "__main__":
    main()
