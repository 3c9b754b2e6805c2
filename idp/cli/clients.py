"""`idp clients`: relying parties and resource servers, validated like a dynamic registration."""

from __future__ import annotations

import json

import click

from idp.administration import Actor, client_policy
from idp.cli.common import (
    CLAIM_MAP_HELP,
    claim_mappings_from,
    load_services,
    refusals,
    request_like_context,
    seconds_option,
)
from idp.cli.paging import limit_options, or_none, stream
from idp.config import ConfigError
from idp.oauth.client_metadata import client_admin


@click.group()
def clients():
    """Manage OAuth clients (relying parties and resource servers)."""


GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials",
               "urn:ietf:params:oauth:grant-type:device_code", client_policy.EXCHANGE_GRANT]
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"]


ALLOWED_ORIGIN = click.option(
    "--allowed-origin", "allowed_origins", multiple=True,
    help="a browser origin (https://app.example.com) that may call /token, /revoke and /userinfo as this client, "
         "besides its redirect URIs' origins; repeat for more")
def limited_to(svc, organization: str | None):
    """With --organization: the organization resolved before the client exists (an unknown one
    creates nothing), and what limits the new client to it; removed again if that fails, so no
    admin client is ever left unlimited by accident."""
    if organization is None:
        return None
    from idp.organizations.clients import ClientOrganizationAdmin

    admin = ClientOrganizationAdmin(svc)
    org_id = admin.orgs.get(Actor.operator(), organization).id

    def limit(client_id: str) -> None:
        try:
            admin.configure(Actor.operator(), client_id, admin_organization=org_id)
        except BaseException:
            svc.clients.delete(client_id)
            raise
    return limit


@clients.command("create")
@click.option("--name", required=True)
@click.option("--client-id", default=None, help="default: a random one")
@click.option("--redirect-uri", "redirect_uris", multiple=True)
@click.option("--public", is_flag=True, help="no secret; PKCE required (native and browser apps)")
@click.option("--grant-type", "grant_types", multiple=True, type=click.Choice(GRANT_TYPES))
@click.option("--scope", "scopes", multiple=True,
              help="space-separated, or repeated (--scope admin:read --scope admin:write); "
                   "default: openid profile email offline_access")
@click.option("--token-endpoint-auth-method", "--auth-method", "auth_method", type=click.Choice(AUTH_METHODS),
              default=None, help="default client_secret_basic (none with --public)")
@click.option("--jwks-uri", default=None, help="the client's public keys (private_key_jwt, request objects)")
@click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True)
@click.option("--backchannel-logout-uri", default=None)
@click.option("--require-par", is_flag=True, help="require_pushed_authorization_requests (RFC 9126)")
@click.option("--dpop-bound", is_flag=True, help="dpop_bound_access_tokens (RFC 9449)")
@click.option("--require-signed-request-object", "require_jar", is_flag=True,
              help="require_signed_request_object (RFC 9101 10.5)")
@click.option("--subject-type", type=click.Choice(["public", "pairwise"]), default=None)
@click.option("--sector-identifier-uri", default=None)
@click.option("--trusted", is_flag=True, help="first-party app: skip the consent page")
@click.option("--id-token-alg", type=click.Choice(["RS256", "ES256", "EdDSA"]), default=None,
              help="id_token_signed_response_alg (needs a live key: KEY_ALGORITHMS)")
@ALLOWED_ORIGIN
@click.option("--token-exchange-impersonation", "impersonation", is_flag=True,
              help="RFC 8693 exchanges without an actor token (with --grant-type ...token-exchange)")
@click.option("--token-exchange-refresh-tokens", "exchange_refresh", is_flag=True,
              help="refresh tokens from an RFC 8693 exchange (with offline_access)")
@click.option("--organization", default=None,
              help="an admin API client limited to this organization (id or slug): delegated administration")
@click.option("--json", "as_json", is_flag=True)
def clients_create(name, client_id, redirect_uris, public, grant_types, scopes, auth_method, jwks_uri,
                   post_logout_redirect_uris, backchannel_logout_uri, require_par, dpop_bound, require_jar,
                   subject_type, sector_identifier_uri, trusted, id_token_alg, allowed_origins, impersonation,
                   exchange_refresh, organization, as_json):
    """Validated like a dynamic registration (administration/client_policy.py), except that any scope is allowed."""
    scope = " ".join(dict.fromkeys(" ".join(scopes).split())) or "openid profile email offline_access"
    if public and auth_method not in (None, "none"):
        raise click.UsageError("--public means --token-endpoint-auth-method none")
    requested = {
        "client_id": client_id, "client_name": name, "redirect_uris": list(redirect_uris), "scope": scope,
        "grant_types": list(grant_types) or (["authorization_code", "refresh_token"] if redirect_uris or public
                                             else ["client_credentials"]),
        "token_endpoint_auth_method": "none" if public else (auth_method or "client_secret_basic"),
        "jwks_uri": jwks_uri, "post_logout_redirect_uris": list(post_logout_redirect_uris) or None,
        "backchannel_logout_uri": backchannel_logout_uri, "id_token_signed_response_alg": id_token_alg,
        "require_pushed_authorization_requests": require_par or None, "dpop_bound_access_tokens": dpop_bound or None,
        "require_signed_request_object": require_jar or None,
        "subject_type": subject_type, "sector_identifier_uri": sector_identifier_uri, "trusted": trusted,
        "allowed_origins": list(allowed_origins) or None,
        "token_exchange_impersonation": impersonation or None,
        "token_exchange_refresh_tokens": exchange_refresh or None,
    }
    requested["response_types"] = ["code"] if "authorization_code" in requested["grant_types"] else []
    svc = load_services()
    with refusals(), request_like_context(svc):
        limited = limited_to(svc, organization)
        client, secret = client_admin(svc).create(Actor.operator(),
                                                  {k: v for k, v in requested.items() if v is not None})
        if limited is not None:
            limited(client.client_id)
    data = {"client_id": client.client_id, "client_secret": secret, "name": client.name,
            "redirect_uris": list(client.redirect_uris), "grant_types": list(client.grant_types),
            "token_endpoint_auth_method": client.token_endpoint_auth_method, "scope": client.scope}
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"client_id      {client.client_id}")
    if secret:
        click.echo(f"client_secret  {secret}   (shown once: store it now)")


@clients.command("registration-token")
@click.option("--expires", default="1d", help="lifetime (60 .. 30d; 900, 15m, 1d)")
@click.option("--uses", type=click.IntRange(1, 10_000), default=1, help="registrations it allows")
def clients_registration_token(expires, uses):
    """An initial access token for dynamic client registration (RFC 7591 3, REGISTRATION_MODE=token)."""
    from idp.administration.registration_tokens import RegistrationTokenAdmin
    from idp.config import parse_duration

    try:
        ttl = parse_duration("--expires", expires)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    svc = load_services()
    with refusals(), request_like_context(svc):
        _, value = RegistrationTokenAdmin(svc).create(Actor.operator(), uses, ttl)
    click.echo(value)


@clients.command("update")
@click.argument("client_id")
@ALLOWED_ORIGIN
@click.option("--no-allowed-origins", is_flag=True, help="remove every allowed origin")
def clients_update(client_id, allowed_origins, no_allowed_origins):
    """Change a client's allowed origins (checked like a registration; audited as the operator)."""
    if allowed_origins and no_allowed_origins:
        raise click.UsageError("--allowed-origin or --no-allowed-origins, not both")
    if not (allowed_origins or no_allowed_origins):
        raise click.UsageError("nothing to change: give --allowed-origin or --no-allowed-origins")
    svc = load_services()
    with refusals(), request_like_context(svc):
        client = client_admin(svc).update(Actor.operator(), client_id,
                                          {"allowed_origins": list(allowed_origins) or None})
    origins = client.client_metadata.get("allowed_origins") or []
    click.echo(f"updated {client_id}: allowed origins {' '.join(origins) or '(none)'}")


@clients.command("list")
@click.option("--query", "-q", default=None, help="text the name or client_id holds anywhere")
@limit_options
def clients_list(query, limit, after):
    """Clients, oldest first (client_id, name, auth method, grant types, redirect URIs)."""
    from idp.administration.apis import searched

    with refusals():
        query = searched(query)
    svc = load_services()
    for client in or_none(stream(lambda size, cursor: svc.clients.page(size, cursor, contains=query),
                                 lambda row: row.client_id, limit, after),
                          "No more clients." if after else "No clients."):
        click.echo(f"{client.client_id}  {client.name}  {client.token_endpoint_auth_method}  "
                   f"{','.join(client.grant_types)}  {' '.join(client.redirect_uris)}")


@clients.command("delete")
@click.argument("client_id")
def clients_delete(client_id):
    """Delete a client by its client_id."""
    svc = load_services()
    with refusals(), request_like_context(svc):
        client_admin(svc).delete(Actor.operator(), client_id)
    click.echo(f"deleted {client_id}")


@clients.command("token-exchange")
@click.argument("client_id")
@click.option("--off", is_flag=True, help="take the grant and its settings away")
@click.option("--impersonation/--no-impersonation", default=False, help="exchanges without an actor token")
@click.option("--refresh-tokens/--no-refresh-tokens", default=False, help="refresh tokens from an exchange")
def clients_token_exchange(client_id, off, impersonation, refresh_tokens):
    """Allow (or with --off, stop) a confidential client to exchange tokens (RFC 8693, docs/token-exchange.md)."""
    svc = load_services()
    with refusals(), request_like_context(svc):
        admin = client_admin(svc)
        changes = client_policy.exchange_changes(admin.get(client_id).grant_types, not off, impersonation,
                                                 refresh_tokens)
        admin.update(Actor.operator(), client_id, changes)
    click.echo(f"{client_id}: token exchange {'off' if off else 'on'}")


@clients.command("claims")
@click.argument("client_id")
@click.option("--map", "maps", multiple=True, help=CLAIM_MAP_HELP)
@click.option("--clear", is_flag=True, help="no mapped claims")
def clients_claims(client_id, maps, clear):
    """Replace the claims this client's ID tokens and userinfo carry (issue 35; an administrator's
    setting only, never part of a registration)."""
    svc = load_services()
    with refusals(), request_like_context(svc):
        mappings = claim_mappings_from(maps, clear)
        client_admin(svc).update(Actor.operator(), client_id, {"claim_mappings": mappings})
    click.echo(f"{client_id}: {len(mappings)} claim mapping(s)")


@clients.command("rotate-secret")
@click.argument("client_id")
@click.option("--grace", default="0", help="how long the current secret stays valid (0, 900, 15m, 1h, 7d)")
@click.option("--json", "as_json", is_flag=True)
def clients_rotate_secret(client_id, grace, as_json):
    """A new secret (shown once); the current one keeps working for --grace, while the client deploys the new one."""
    grace_seconds = seconds_option("--grace", grace)
    svc = load_services()
    with refusals(), request_like_context(svc):
        client, secret = client_admin(svc).rotate_secret(Actor.operator(), client_id, grace_seconds)
    until = client.previous_secret_expires_at if client.previous_secret_live else None
    if as_json:
        click.echo(json.dumps({"client_id": client_id, "client_secret": secret,
                               "previous_secret_expires_at": until.isoformat() + "Z" if until else None}))
        return
    click.echo(f"client_secret  {secret}   (shown once: store it now)")
    click.echo(f"the previous secret works until {until:%Y-%m-%d %H:%M:%S} UTC" if until
               else "the previous secret no longer works")
