"""The developer's first hour on the embedded default (issue 34), run as they would: `idp demo` and
the other commands as subprocesses. The demo's banner says how to become an administrator and where
mail goes; its issuer is http://localhost:PORT (a host name, so WebAuthn accepts the origin) while
it listens on 127.0.0.1; a command run outside the project's folder says which database it would
use and creates nothing; `--version`, a description for every command, empty lists that say so;
`idp mail retry` never spends an attempt on settings this shell does not have."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import click
import pytest
import requests
from click.testing import CliRunner

from idp.cli import main as cli
from idp.config import Config
from idp.store.account_repos import Outbox
from idp.store.db import Database
from tests.conftest import free_port, hidden_fields

IDP = [sys.executable, "-m", "idp.cli"]


def environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PROMETHEUS_", "DATABASE_URL", "REDIS_", "SMTP_", "ISSUER", "PORT", "METRICS_PORT"))}
    env.update(IDP_ENV="development", **extra)
    return env


def run(args, cwd, stdin=None, **extra):
    return subprocess.run(IDP + args, cwd=cwd, env=environment(**extra), input=stdin, capture_output=True, text=True,
                          timeout=120)


ELSEWHERE = [["users", "list"], ["users", "create", "--email", "a@example.com", "--password-stdin"],
             ["clients", "list"], ["admins", "list"], ["admins", "grant", "--email", "demo@example.com"],
             ["groups", "list"], ["roles", "assign", "--api", "https://api.example/", "--name", "r", "--email", "a@b.c"],
             ["apis", "list"], ["orgs", "list"], ["keys", "list"], ["keys", "rotate"], ["mail", "status"],
             ["mail", "retry"], ["audit", "list"], ["db", "purge", "--dry-run"], ["db", "upgrade"], ["serve"],
             ["demo"], ["selftest", "--issuer", "http://localhost:1"]]


@pytest.mark.parametrize("args", ELSEWHERE, ids=" ".join)
def test_a_command_outside_the_project_folder_names_the_database_in_one_line_and_creates_nothing(args, tmp_path):
    done = run(args, tmp_path, stdin="a-long-enough-password\n")
    assert done.returncode == 1, done.stdout + done.stderr
    expected = (f"Error: no database: DATABASE_URL is unset, so the default sqlite:///data/idp.sqlite, relative to "
                f"this folder: {tmp_path}/data/idp.sqlite does not exist; nothing was created")
    assert done.stderr.splitlines()[0].startswith(expected) and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stdout == "" and os.listdir(tmp_path) == []  # no data/, no keys/


def test_an_explicit_database_that_is_missing_is_named_too(tmp_path):
    missing = tmp_path / "elsewhere" / "idp.sqlite"
    done = run(["clients", "list"], tmp_path, DATABASE_URL=f"sqlite:///{missing}")
    assert done.returncode == 1 and f"DATABASE_URL=sqlite:///{missing} names {missing}, which does not exist" in done.stderr
    assert os.listdir(tmp_path) == []


def test_db_upgrade_creates_only_when_told_and_empty_lists_say_so(tmp_path):
    made = run(["db", "upgrade", "--create"], tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "data" / "idp.sqlite").exists()
    for args, says in ((["clients", "list"], "No clients."), (["users", "list"], "No users."),
                       (["groups", "list"], "No groups."), (["apis", "list"], "No APIs."),
                       (["orgs", "list"], "No organizations."), (["audit", "list"], "No audit events."),
                       (["admins", "list"], "No administrators"), (["keys", "list"], "No signing keys")):
        done = run(args, tmp_path)
        assert done.returncode == 0 and done.stdout.startswith(says), (args, done.stdout, done.stderr)
    as_json = run(["apis", "list", "--json"], tmp_path)
    assert as_json.stdout == "" and as_json.stderr.strip() == "No APIs."  # stdout stays JSON lines


def test_version_and_a_one_line_description_for_every_command():
    runner = CliRunner()
    version = runner.invoke(cli, ["--version"])
    assert version.exit_code == 0 and re.fullmatch(r"idp \d+\.\d+\.\d+\S*\n", version.output)

    def walk(command: click.Command, path: list[str]):
        assert (command.help or command.short_help or "").strip(), f"`{' '.join(path)}` has no description"
        if isinstance(command, click.Group):
            listing = runner.invoke(cli, [*path[1:], "--help"])
            assert listing.exit_code == 0, listing.output
            for name, sub in command.commands.items():
                line = next(li for li in listing.output.splitlines() if li.strip().startswith(name + " "))
                assert line.split(name, 1)[1].strip(), f"`{' '.join(path)} --help` lists {name} without a description"
                walk(sub, [*path, name])

    walk(cli, ["idp"])


def test_mail_retry_without_smtp_refuses_and_spends_no_attempt(tmp_path):
    """The server may have SMTP settings this shell has not: `idp mail retry` would count a failed
    attempt against each message (and give up sooner). It refuses in one line and touches nothing."""
    assert run(["db", "upgrade", "--create"], tmp_path).returncode == 0
    outbox = Outbox(Database(f"sqlite:///{tmp_path}/data/idp.sqlite"))
    message_id = outbox.add("waiting@example.com", "Waiting", "a link", keep_trying_for=3600)
    done = run(["mail", "retry"], tmp_path)
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1 and "SMTP_HOST is not set" in done.stderr
    row = outbox.get(message_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)


def test_a_process_that_cannot_send_leaves_its_mail_to_the_server(tmp_path):
    """A CLI command's message (an owner's notice) waits for the server's sender instead of failing
    here for want of SMTP_HOST."""
    from idp.accounts.mail import Mailer

    assert run(["db", "upgrade", "--create"], tmp_path).returncode == 0
    outbox = Outbox(Database(f"sqlite:///{tmp_path}/data/idp.sqlite"))
    mailer = Mailer(Config(smtp_host=""), outbox)
    message_id = mailer.send("owner@example.com", "Notice", "body", keep_trying_for=3600)
    time.sleep(0.3)
    assert mailer._thread is None and outbox.get(message_id).attempts == 0


class Demo:
    """`idp demo --here` in a fresh folder, its console read line by line."""

    def __init__(self, folder):
        self.port = free_port()
        self.lines: list[str] = []
        self.process = subprocess.Popen(IDP + ["demo", "--here"], cwd=folder, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                        env=environment(PORT=str(self.port), METRICS_PORT=str(free_port())))
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            assert self.process.poll() is None, "".join(self.lines)
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not printed:\n" + "".join(self.lines))

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


@pytest.fixture
def demo(tmp_path):
    running = Demo(tmp_path)
    yield running
    running.stop()


def test_the_demo_is_at_localhost_says_how_to_become_an_administrator_and_prints_its_mail(demo, tmp_path):
    issuer = f"http://localhost:{demo.port}"
    assert demo.wait_for(r"issuer\s+(\S+)").group(1) == issuer
    assert demo.wait_for(r"the demo user is not an administrator")
    grant = demo.wait_for(r"^\s+(\S*idp admins grant --email demo@example\.com)\s").group(1)
    assert demo.wait_for(r"^\s+mail\s+(\S+)").group(1) == issuer + "/dev/mailbox"
    demo.wait_for(r"Started worker|Listening at")

    # localhost resolves to loopback, and the server answers on both names (it listens on 127.0.0.1)
    assert "127.0.0.1" in {info[4][0] for info in socket.getaddrinfo("localhost", demo.port)}
    for base in (issuer, f"http://127.0.0.1:{demo.port}"):
        deadline = time.monotonic() + 30
        while True:
            try:
                found = requests.get(base + "/.well-known/openid-configuration", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert found.status_code == 200 and found.json()["issuer"] == issuer

    browser = requests.Session()
    form = browser.get(issuer + "/forgot-password", timeout=5)
    sent = browser.post(issuer + "/forgot-password", data={**hidden_fields(form.text), "email": "demo@example.com"},
                        timeout=5)
    assert sent.status_code == 200
    demo.wait_for(r"mail to demo@example\.com")
    link = demo.wait_for(r"link\s+(" + re.escape(issuer) + r"/reset-password\?token=\S+)").group(1)
    assert browser.get(link, timeout=5).status_code == 200
    assert "demo@example.com" in browser.get(issuer + "/dev/mailbox", timeout=5).text

    # the banner's command, pasted in another shell of the same folder
    command = grant.split()
    granted = subprocess.run([sys.executable, "-m", "idp.cli", *command[1:]], cwd=tmp_path, env=environment(),
                             capture_output=True, text=True, timeout=60)
    assert command[0].endswith("idp") and granted.returncode == 0, granted.stderr
    assert "demo@example.com" in run(["admins", "list"], tmp_path).stdout


def test_the_default_issuer_is_localhost_and_passkeys_are_on():
    config = Config.from_env({})
    assert config.issuer == "http://localhost:3001" and config.host == "127.0.0.1"
    assert Config.from_env({"PORT": "4000"}).issuer == "http://localhost:4000"
