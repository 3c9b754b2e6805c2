"""Issue 34 A: docs/quickstart.md works as written. Its `bash` blocks are taken out of the file and
run in order, as one shell session, with bash in a checkout-like directory next to a live `idp demo`
(tests/interop/demo_server.py): client registration with the CLI, the authorization code flow with
PKCE S256 (RFC 7636) and a nonce through the hosted pages with a curl cookie jar, the code exchange
(RFC 6749 4.1.3), userinfo (OpenID Connect Core 5.3), refresh (RFC 6749 6), RP-Initiated Logout 1.0,
then the same through authlib's OAuth2Session. Any command failing fails the test, so the document
cannot drift from the server.

The only edits: the document's issuer (http://localhost:3001, the demo's default) becomes the
running demo's, as its banner printed it, and the application's port 8080 a free one.
"""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess

import pytest

from ..conftest import free_port
from .demo_server import demo_server

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "docs" / "quickstart.md"
DOC_ISSUER = "http://localhost:3001"
DOC_APP = "localhost:8080"


def code_blocks(markdown: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", markdown, re.M | re.S)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    yield from demo_server(tmp_path_factory)


def test_the_quickstart_starts_the_server_the_readme_starts():
    """The one block not run here (it starts the server the test starts itself) is the README's."""
    [start] = code_blocks(QUICKSTART.read_text(), "sh")
    assert start.strip() in code_blocks((ROOT / "README.md").read_text(), "bash")[0]
    assert start.strip().endswith(".venv/bin/idp demo")
    assert "docs/quickstart.md" in (ROOT / "README.md").read_text()


def test_every_bash_block_of_the_quickstart_runs_against_a_live_demo(demo):
    text = QUICKSTART.read_text()
    assert DOC_ISSUER in text and DOC_APP in text
    blocks = code_blocks(text, "bash")
    assert len(blocks) >= 15, "the quickstart lost its steps"
    app = f"localhost:{free_port()}"
    script = "set -euo pipefail\n" + "\n".join(
        f"echo '### block {number}' >&2\n" + block.replace(DOC_ISSUER, demo.issuer).replace(DOC_APP, app)
        for number, block in enumerate(blocks, 1))
    shell = subprocess.Popen(["bash", "-c", script], cwd=demo.directory, env=demo.process.env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = shell.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(shell.pid, signal.SIGKILL)
        output, _ = shell.communicate()
        pytest.fail("the quickstart hung:\n" + output[-4000:])
    finally:
        try:  # rp.py, if a failed block left it running (the session's processes were started here)
            os.killpg(shell.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    assert shell.returncode == 0, output[-6000:]

    user = demo.user_id("ada@example.com")
    assert f'"sub": "{user}"' in output  # the ID token decoded by hand, and userinfo
    assert "/signed-out?state=bye" in output  # RP-initiated logout came back with the state
    assert f'"signed_in_as": "{user}"' in output and '"nonce": "ok"' in output  # the authlib application
    assert '"rotated": true' in output and '"signed_out": true' in output
