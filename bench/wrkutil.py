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
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = proc_cpu_seconds(server_pid) if server_pid else None
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    wall = time.monotonic() - started
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    result = parse_wrk(proc.stdout)
    result["connections"] = connections
    gen_cpu = (after_children.ru_utime - before_children.ru_utime) + (after_children.ru_stime - before_children.ru_stime)
    result["loadgen_cpu_pct"] = round(100 * gen_cpu / wall, 1)
    if server_pid:
        result["server_cpu_pct"] = round(100 * (proc_cpu_seconds(server_pid) - server_before) / wall, 1)
    result["raw"] = proc.stdout
    return result
