"""Where `idp serve` listens (issue 31: both servers bound every interface, the metrics port
included): loopback unless HOST says otherwise, the metrics port at METRICS_HOST or HOST; the image
sets HOST=0.0.0.0 (test_image_smoke reaches it), the manifests METRICS_HOST=0.0.0.0 for Prometheus."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from idp.config import Config, ConfigError
from tests.conftest import free_port

from .containers import wait_for


def listening(port: int) -> set[str]:
    """The addresses with a listening TCP socket on `port` (IPv4), from /proc/net/tcp."""
    found = set()
    with open("/proc/net/tcp") as handle:
        for line in handle.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_the_listen_addresses_default_to_loopback_and_must_be_ip_addresses():
    assert (Config.from_env({}).host, Config.from_env({}).metrics_host) == ("127.0.0.1", "")
    assert Config.from_env({"HOST": "0.0.0.0", "METRICS_HOST": "127.0.0.1"}).metrics_host == "127.0.0.1"
    for bad in ("localhost", "0.0.0.0:80", "example.com"):
        with pytest.raises(ConfigError, match="HOST"):
            Config.from_env({"HOST": bad})


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
@pytest.mark.parametrize("hosts,expected", [
    ({}, ("127.0.0.1", "127.0.0.1")),
    ({"HOST": "127.0.0.1", "METRICS_HOST": "127.0.0.2"}, ("127.0.0.1", "127.0.0.2")),
])
def test_serve_listens_where_host_and_metrics_host_say(server, hosts, expected, tmp_path):
    port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HOST", "METRICS_HOST", "REDIS_URL", "DATABASE_URL")}
    env.update(hosts, IDP_ENV="development", PORT=str(port), METRICS_PORT=str(metrics_port), IDP_SERVER=server,
               DATABASE_URL=f"sqlite:///{tmp_path}/idp.sqlite", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
               ISSUER=f"http://127.0.0.1:{port}")
    subprocess.run([sys.executable, "-m", "idp.cli", "db", "upgrade"], env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    process = subprocess.Popen([sys.executable, "-m", "idp.cli", "serve"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_for(lambda: listening(port) and listening(metrics_port) or process.poll() is not None, 60)
        assert process.poll() is None, process.stdout.read().decode()[-2000:]
        time.sleep(0.5)  # every worker's socket (granian's workers listen themselves)
        assert (listening(port), listening(metrics_port)) == ({expected[0]}, {expected[1]})
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
