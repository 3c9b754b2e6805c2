"""`idp keys`: the signing-key lifecycle."""

from __future__ import annotations

import json
import sys

import click

from idp.administration import Actor
from idp.cli.common import load_services, refusals, request_like_context
from idp.plumbing import json_input


@click.group()
def keys():
    """Signing keys: list, rotate, retire, revoke, import, export, rewrap."""


def key_manager(svc=None):
    manager = (svc or load_services()).keys
    try:
        manager.reload(force=True)
    except Exception as exc:  # e.g. KeyDecryptionError: one line, no traceback
        raise click.ClickException(str(exc)) from None
    return manager


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


def key_administration():
    """The services (for the audit trail's context) and the administration of their keys."""
    from idp.administration.keys import KeyAdmin

    svc = load_services()
    key_manager(svc)
    return svc, KeyAdmin(svc)


@keys.command("list")
def keys_list():
    """kid, alg, state, created, promoted, retires."""
    found = key_administration()[1].list()
    if not found:
        click.echo("No signing keys (the server makes its first one when it starts).")
        return
    click.echo(f"{'kid':44}  {'alg':5}  {'state':7}  {'created':16}  {'promoted':16}  retires")
    for key in found:
        click.echo(f"{key.kid:44}  {key.alg:5}  {key.state:7}  {_when(key.created_at):16}  "
                   f"{_when(key.promoted_at):16}  {_when(key.retire_until)}")


@keys.command("rotate")
@click.option("--alg", type=click.Choice(["RS256", "ES256", "EdDSA"]), default="RS256")
@click.option("--if-current", default=None, help="rotate only if this kid still signs (safe to run twice)")
@click.option("--force", is_flag=True, help="promote a next key younger than the JWKS cache lifetime")
def keys_rotate(alg, if_current, force):
    """Promote next -> current, retire current, publish a new next.

    Rotates the key that signs when the command starts: two concurrent runs rotate once."""
    from idp.administration.errors import AdminError, PreconditionFailed

    svc, admin = key_administration()
    if_current = if_current if if_current is not None else admin.current_kid(alg)
    try:
        with request_like_context(svc):
            kid = admin.rotate(Actor.operator(), alg, expected_current=if_current, force=force)
    except PreconditionFailed:  # another run rotated it: the outcome asked for, not an error
        click.echo(f"not rotated: {if_current} no longer signs")
        return
    except AdminError as exc:  # TooEarly
        raise click.ClickException(str(exc)) from None
    click.echo(f"{alg} now signs with {kid}")


def _end_key(kid: str, action: str) -> None:
    svc, admin = key_administration()
    with refusals(), request_like_context(svc):
        getattr(admin, action)(Actor.operator(), kid)
    click.echo(f"{action}d {kid}")


@keys.command("retire")
@click.argument("kid")
def keys_retire(kid):
    """Emergency: stop signing with KID now; keep publishing it until its tokens expire."""
    _end_key(kid, "retire")


@keys.command("revoke")
@click.argument("kid")
def keys_revoke(kid):
    """Compromise: remove KID from the JWKS at once; every token it signed stops verifying."""
    _end_key(kid, "revoke")


@keys.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def keys_import(path):
    """Import a private key (PEM or JWK file) as the next key; it signs from the next rotation."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode()
        material = {"jwk": json_input.loads(text)} if text.lstrip().startswith("{") else {"pem": text}
    except ValueError:  # UnicodeDecodeError, JSONDecodeError
        raise click.UsageError("the file holds neither a JWK (JSON) nor a PEM") from None
    if "jwk" in material and not isinstance(material["jwk"], dict):
        raise click.UsageError("the JWK must be a JSON object")
    svc, admin = key_administration()
    with refusals(), request_like_context(svc):
        kid = admin.import_key(Actor.operator(), **material)
    click.echo(f"imported {kid} as next")


@keys.command("export")
@click.argument("kid")
@click.option("--private", is_flag=True, help="include the private key (handle the output as a secret)")
def keys_export(kid, private):
    """Print KID as a JWK (public by default)."""
    try:
        click.echo(json.dumps(key_manager().export(kid, private=private)))
    except KeyError:
        raise click.ClickException(f"no key {kid}") from None


@keys.command("rewrap")
@click.option("--new-key-stdin", is_flag=True, required=True, help="read the new KEY_ENCRYPTION_KEY from stdin")
def keys_rewrap(new_key_stdin):
    """Re-encrypt every private key under a new KEY_ENCRYPTION_KEY (then deploy the new value)."""
    new = sys.stdin.readline().strip()
    if len(new) < 32:
        raise click.ClickException("KEY_ENCRYPTION_KEY: the new key needs at least 32 random characters")
    count = key_manager().rewrap(new)
    click.echo(f"re-encrypted {count} keys; set KEY_ENCRYPTION_KEY to the new value on every replica")
