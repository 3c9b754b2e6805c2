"""Workers that die leave the live gauges (prometheus_client's multiprocess mode): granian has no
child-exit hook like gunicorn's, so the main process reaps the files of processes that are gone."""

from __future__ import annotations

import subprocess
import sys

from idp.observability.multiprocess import reap_dead_workers


def test_files_of_dead_processes_are_marked_dead_and_the_living_keep_theirs(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        for pid in (dead.pid, alive.pid):
            (tmp_path / f"gauge_livesum_{pid}.db").write_bytes(b"")
            (tmp_path / f"counter_{pid}.db").write_bytes(b"")
        assert reap_dead_workers(str(tmp_path)) == [dead.pid]
        left = {p.name for p in tmp_path.iterdir()}
        assert left == {f"gauge_livesum_{alive.pid}.db", f"counter_{dead.pid}.db", f"counter_{alive.pid}.db"}
        assert reap_dead_workers(str(tmp_path)) == []
    finally:
        alive.kill()
        alive.wait()
