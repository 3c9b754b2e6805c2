"""This machine's yardsticks, measured in the same run as the IdP figures:

(a) one core's RS256 signatures/s with `cryptography` (2048-bit key, ~200-byte message), pinned to core 0;
(b) a bare Flask JSON endpoint's req/s under one gunicorn worker pinned to core 0
    (gthread, 2 threads by default, keep-alive 5 s: the same worker settings run.py gives the IdP),
    loaded by wrk pinned to core 1 (32 connections).

    python bench/baseline.py [--sign-seconds 3] [--duration 10] [--worker-class gthread|sync]

Prints one JSON object. Time-bounded; the gunicorn it starts is always stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wrkutil import BENCH_DIR, child_pids, free_port, run_wrk, wait_http  # noqa: E402

SERVER_CORE, LOADGEN_CORE = 0, 1


def rs256_signs_per_second(seconds: float = 3.0, core: int = SERVER_CORE) -> dict:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        message = os.urandom(150).hex()[:200].encode()  # ~200 bytes, like a JWT signing input
        pad, digest = padding.PKCS1v15(), hashes.SHA256()
        for _ in range(50):  # warm up
            key.sign(message, pad, digest)
        count, started = 0, time.perf_counter()
        deadline = started + seconds
        while True:
            for _ in range(25):
                key.sign(message, pad, digest)
            count += 25
            now = time.perf_counter()
            if now >= deadline:
                break
        return {"signs_per_s": round(count / (now - started), 1), "signs": count, "seconds": round(now - started, 2),
                "key_bits": 2048, "message_bytes": len(message), "core": core}
    finally:
        os.sched_setaffinity(0, previous)


def stop_process_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


@contextlib.contextmanager
def one_worker(app: str, probe_path: str, worker_class: str = "gthread", threads: int = 2):
    """gunicorn serving bench/<app> as run.py serves the IdP: one worker pinned to core 0, keep-alive 5 s.
    Yields (base URL, worker pid or None); the server is always stopped."""
    port = free_port()
    cmd = ["taskset", "-c", str(SERVER_CORE), sys.executable, "-m", "gunicorn",
           "--workers", "1", "--worker-class", worker_class, "--threads", str(threads),
           "--keep-alive", "5", "--timeout", "30", "--bind", f"127.0.0.1:{port}",
           "--chdir", BENCH_DIR, "--log-level", "warning", app]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + probe_path, proc, timeout=20)
        workers = child_pids(proc.pid)
        yield base, workers[0] if len(workers) == 1 else None
    finally:
        stop_process_group(proc)


def bare_flask_rps(duration: float = 10.0, connections: int = 32, worker_class: str = "gthread",
                   threads: int = 2) -> dict:
    with one_worker("bare_app:app", "/json", worker_class, threads) as (base, worker):
        url = base + "/json"
        run_wrk(url, connections, 1, core=LOADGEN_CORE)  # warm-up, discarded
        result = run_wrk(url, connections, duration, core=LOADGEN_CORE, server_pid=worker)
    result.pop("raw", None)
    result.update(worker_class=worker_class, threads=threads, server_core=SERVER_CORE, loadgen_core=LOADGEN_CORE)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sign-seconds", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0, help="wrk seconds against the bare Flask app")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread")
    parser.add_argument("--threads", type=int, default=2, help="gthread threads (run.py runs the IdP with the same)")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0) | set(range(os.cpu_count() or 1))) < 2:
        sys.exit("needs two cores (server on core 0, load generator on core 1)")
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("baseline took too long")))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.alarm(int(args.sign_seconds + args.duration + 60))
    try:
        rsa = rs256_signs_per_second(args.sign_seconds)
        flask = bare_flask_rps(args.duration, args.connections, args.worker_class,
                               threads=args.threads if args.worker_class == "gthread" else 1)
    finally:
        signal.alarm(0)
    print(json.dumps({"rs256": rsa, "bare_flask": flask}, indent=2))


if __name__ == "__main__":
    main()
