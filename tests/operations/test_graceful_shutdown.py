"""SIGTERM while granian's workers are still loading the app (a pod told to stop just after it
started, or a rollout overtaking a respawn). Issue 31: the workers had inherited the main process's
handler, which does nothing in a worker, so they swallowed the signal, went on to serve, and were
killed after the 25 s kill timeout - the next one 22 ms later ("refused to gracefully stop"),
its share of the budget spent - past Kubernetes' 30 s grace period.
The stream-of-requests half of graceful shutdown is test_image_smoke's last test."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import uuid

from idp.store.migrate import upgrade
from tests.conftest import REDIS_URL, free_port, pg_database


def test_sigterm_while_the_workers_load_the_app_stops_them_at_once(tmp_path):
    database_url, drop = pg_database("_early_sigterm")
    try:
        upgrade(database_url)
        env = {**os.environ, "IDP_ENV": "production", "ISSUER": "https://id.example.test",
               "PORT": str(free_port()), "METRICS_PORT": str(free_port()), "DATABASE_URL": database_url,
               "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": f"idptest:{uuid.uuid4().hex[:8]}:",
               "SESSION_SECRET": secrets.token_urlsafe(32), "KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32),
               "WEB_CONCURRENCY": "2", "IDP_SERVER": "granian", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "m")}
        process = subprocess.Popen([sys.executable, "-m", "idp.cli", "serve"], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        lines = []
        try:
            for line in process.stdout:  # until the second worker is forked: both now load the app
                lines.append(line)
                if "Spawning worker-2" in line:
                    break
            assert not any("Started worker" in line for line in lines), "the workers loaded before the signal"
            sent = time.monotonic()
            process.send_signal(signal.SIGTERM)  # to the main process only, as the kubelet does
            rest, _ = process.communicate(timeout=40)
            stopped = time.monotonic() - sent
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log = "".join(lines) + rest
        assert "refused to gracefully stop" not in log, log[-3000:]
        assert process.returncode == 0 and stopped < 10, (process.returncode, stopped, log[-3000:])
    finally:
        drop()
