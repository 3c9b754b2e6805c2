"""`idp demo` as a person runs it on a fresh machine: the real command in a directory of its own
(its data/ and keys/ land there), on a free port, and what its banner printed."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import sys

from ..conftest import free_port, remember_secret
from .processes import Process

BIN = os.path.dirname(sys.executable)  # the venv the tests run from, where `idp` is installed
# What the operator's environment may hold that would point the demo somewhere else.
FOREIGN = ("DATABASE_URL", "DATABASE_READ_URL", "REDIS_URL", "ISSUER", "IDP_ENV", "SESSION_SECRET",
           "KEY_ENCRYPTION_KEY", "SMTP_HOST", "HOST")


class DemoProcess(Process):
    """The server's log lines (JSON) join the run's log; the banner, meant for a terminal, does not."""

    def printed(self) -> str:
        return super().output()

    def output(self) -> str:
        return "".join(line for line in self.printed().splitlines(keepends=True) if line.startswith("{"))


class DemoServer:
    """`idp demo` in `directory` (with a `.venv` there pointing at the tests' venv, as in a checkout)."""

    def __init__(self, directory):
        self.directory = directory
        venv = os.path.dirname(BIN)
        os.symlink(venv, directory / ".venv")
        self.port = free_port()
        env = {name: value for name, value in os.environ.items() if name not in FOREIGN}
        env.update(PORT=str(self.port), METRICS_PORT="0", PURGE_INTERVAL="0")
        self.log_path = str(directory / "demo.out")
        # --here: this folder is not the checkout `idp` was installed from, where a bare `idp demo`
        # refuses to create a database (issue 34: nothing is created where it happens to run)
        self.process = DemoProcess([str(directory / ".venv" / "bin" / "idp"), "demo", "--here"], env, self.log_path,
                               f"http://127.0.0.1:{self.port}/health", cwd=str(directory))
        self.banner: dict[str, str] = {}

    def start(self) -> DemoServer:
        self.process.start(timeout=60)
        self.banner = self.read_banner(self.process.printed())
        remember_secret(self.banner["password"], self.banner["client_secret"])
        return self

    @staticmethod
    def read_banner(text: str) -> dict[str, str]:
        found = {
            "issuer": re.search(r"^\s+issuer\s+(\S+)$", text, re.M),
            "password": re.search(r"^\s+demo user\s+demo@example\.com / (\S+)$", text, re.M),
            "client_secret": re.search(r"client_secret=(\S+)$", text, re.M),
            "try": re.search(r"^\s+try\s+(\S+)$", text, re.M),
        }
        missing = [name for name, match in found.items() if match is None]
        assert not missing, f"the banner lacks {missing}: {text[:2000]}"
        return {name: match.group(1) for name, match in found.items()}

    @property
    def issuer(self) -> str:
        return self.banner["issuer"]

    def user_id(self, email: str) -> str:
        with sqlite3.connect(self.directory / "data" / "idp.sqlite") as db:
            return db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]

    def stop(self) -> None:
        self.process.stop()


def demo_server(tmp_path_factory):
    """A running `idp demo` (a generator for a fixture)."""
    directory = tmp_path_factory.mktemp("demo-checkout")
    server = DemoServer(directory).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory / "data", ignore_errors=True)
