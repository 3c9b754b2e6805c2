"""scripts/failover-drill.sh checks every argument before it probes or fails anything: a wrong
target used to be noticed only by the background job, after the probing had started."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def counting_server():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("args, problem", [
    (["mysql", "{url}", "2"], "target is redis or postgres, not mysql"),
    (["redis", "not-a-url", "2"], "BASE_URL must be an http(s) URL"),
    (["redis", "{url}", "soon"], "SECONDS must be a positive number"),
])
def test_failover_drill_refuses_bad_arguments_before_probing(counting_server, tmp_path, args, problem):
    url, hits = counting_server
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "docker").write_text("#!/bin/sh\nsleep 1\n")  # docker "works": only the arguments can stop it
    (fake_bin / "docker").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"}
    result = subprocess.run([os.path.join(ROOT, "scripts", "failover-drill.sh"), *(a.format(url=url) for a in args)],
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and problem in result.stderr, result.stdout + result.stderr
    assert hits == []  # nothing was probed
