"""The load generators of bench/scale.py that wrk cannot be, run as threads of this process (the caller
pins it to the load core): refresh-token chains and password sign-ins.

The refresh_token grant rotates on every use (RFC 9700 4.14.2: a token presented twice revokes its
family), so no request can be replayed as wrk replays one: each thread holds its own chain, and each
request sends the refresh token the previous answer returned. Sign-ins are bench/login.py's.
"""

from __future__ import annotations

import collections
import resource
import threading
import time
from urllib.parse import parse_qs, urlsplit

import requests

import codeflow
import login
from wrkutil import Meter


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class SelfMeter(Meter):
    """Meter, with this process's own threads counted as the load generator (not as `other`), so that
    a measurement disturbed by other processes is told apart from our own load."""

    def __enter__(self):
        self.own = _own_cpu()
        return super().__enter__()

    def __exit__(self, *exc):
        super().__exit__(*exc)
        own_pct = 100 * (_own_cpu() - self.own) / self.wall
        self.loadgen_cpu_pct = round(self.loadgen_cpu_pct + own_pct, 1)
        self.other_cpu_pct = round(max(0.0, self.other_cpu_pct - own_pct), 1)
        return False


def with_cpu(result: dict, meter: SelfMeter, rate: float) -> dict:
    """The meter's figures, `rps`, and the worker's CPU per operation (steadier than the rate)."""
    result.update(meter.figures(), rps=rate)
    if rate and meter.server_pid:
        result["server_cpu_ms_per_req"] = round(10 * meter.server_cpu_pct / rate, 3)
    return result


def first_refresh_token(session: requests.Session, url: str, client_id: str, secret: str) -> str:
    """One code flow on a signed-in session with scope `openid offline_access`: a chain's first refresh token."""
    verifier, challenge = codeflow.pkce_pair()
    response = session.get(url + "/authorize", allow_redirects=False, timeout=10,
                           params=codeflow.authorize_params(client_id, challenge, scope="openid offline_access"))
    location = response.headers.get("Location", "")
    code = parse_qs(urlsplit(location).query).get("code", [None])[0]
    if not code:
        raise RuntimeError(f"authorize answered {response.status_code} {location[:100]}")
    response = session.post(url + "/token", auth=(client_id, secret), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": codeflow.REDIRECT_URI,
        "code_verifier": verifier})
    token = response.json().get("refresh_token") if response.status_code == 200 else None
    if not token:
        raise RuntimeError(f"no refresh token from the code flow: {response.status_code} {response.text[:200]}")
    return token


def refresh(url: str, client_id: str, secret: str, cookies, concurrency: int, duration: float,
            server_pid: int | None, warmup: float = 1.0) -> dict:
    """`concurrency` chains for `warmup` + `duration` s; refreshes/s, p50/p99 and the worker's CPU over
    the measured `duration` only. A chain that fails starts again with a new code flow (an error)."""
    stop = threading.Event()
    lock = threading.Lock()
    done: list[tuple[float, float]] = []  # (sent, answered) of each successful refresh
    errors: list[tuple[float, str]] = []

    def chain():
        session = codeflow.new_session()
        session.cookies.update(cookies)
        token = None
        while not stop.is_set():
            sent = time.monotonic()
            try:
                if token is None:
                    token = first_refresh_token(session, url, client_id, secret)
                    continue
                response = session.post(url + "/token", auth=(client_id, secret), timeout=10,
                                        data={"grant_type": "refresh_token", "refresh_token": token})
                token = response.json().get("refresh_token") if response.status_code == 200 else None
                failure = None if token else f"{response.status_code} {response.text[:80]}"
            except (requests.RequestException, ValueError, RuntimeError) as exc:
                token, failure = None, f"{type(exc).__name__}: {str(exc)[:80]}"
            with lock:
                if failure:
                    errors.append((sent, failure))
                else:
                    done.append((sent, time.monotonic()))

    threads = [threading.Thread(target=chain, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    with SelfMeter(server_pid) as meter:
        measure_from = time.monotonic()
        time.sleep(duration)
        stop_at = time.monotonic()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    with lock:
        latencies = [(answered - sent) * 1e3 for sent, answered in done if sent >= measure_from and answered <= stop_at]
        failures = collections.Counter(kind for sent, kind in errors if measure_from <= sent <= stop_at)
    rate = round(len(latencies) / (stop_at - measure_from), 1)
    return with_cpu({"concurrency": concurrency, "refreshes": len(latencies), "refreshes_per_s": rate,
                     "p50_ms": round(codeflow.percentile(latencies, 50) or 0, 2),
                     "p99_ms": round(codeflow.percentile(latencies, 99) or 0, 2),
                     "errors": sum(failures.values()), "error_kinds": dict(failures.most_common(5)),
                     "stuck_threads": sum(t.is_alive() for t in threads)}, meter, rate)


def sign_in(url: str, client_id: str, concurrency: int, duration: float, server_pid: int | None) -> dict:
    """bench/login.py's transactions (authorize, login form, POST /login, back to the callback): a 1 s
    warm-up, then `duration` s measured with the worker's CPU."""
    login.load(url, client_id, concurrency, 1.0, warmup=0.0)
    with SelfMeter(server_pid) as meter:
        result = login.load(url, client_id, concurrency, duration, warmup=0.0)
    return with_cpu(result, meter, result["logins_per_s"])
