"""Pushed Authorization Requests (RFC 9126). Written by hand: authlib has no PAR endpoint.

0. a parameter sent twice is invalid_request (RFC 6749 3.1);
1. authenticate the client as at the token endpoint (RFC 9126 2; public clients by client_id);
2. a request_uri in the push is invalid_request (RFC 9126 2.1); a signed `request` object
   replaces the parameters (RFC 9101, oauth/jar.py); `resource` may repeat (RFC 8707 2; an
   unknown one is invalid_target, oauth/resources.py); a DPoP proof binds the code to its key
   (dpop_jkt, RFC 9449 10.1);
3. validated like an authorization request by authlib (client, redirect URI exactly, response
   type, scope, PKCE); errors are JSON with 400, never redirects (RFC 9126 2.3);
4. only the defined authorization parameters (oauth/requests.py: never the client's credentials),
   within a size cap, are kept server-side under a random request_uri for PAR_EXPIRES seconds;
5. 201 {request_uri, expires_in}, no-store (RFC 9126 2.2).

The authorization endpoint takes the pushed request exactly once (take_pushed): a reused or
expired request_uri is invalid_request_uri. The request is kept under its request_uri *and* the
pushing client's id, so a request_uri presented with another client_id finds nothing and takes
nothing: whoever learns a request_uri cannot burn it for its client (RFC 9126 4: the client is
compared before the request is used).
"""

from __future__ import annotations

import json

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc9101.errors import InvalidRequestUriError

from idp.oauth.client_auth import JWT_AUTH_METHODS
from idp.oauth.dpop import InvalidDPoPProofError
from idp.oauth.endpoints.token import dpop_key_of_request
from idp.oauth.repeated import refuse_repeated_parameters
from idp.oauth.requests import StoredAuthorizationRequest, defined_parameters, too_large
from idp.oauth.resources import PARAMETER as RESOURCE
from idp.oauth.resources import live_resources
from idp.oauth.scopes import understood_scope
from idp.plumbing.context import oauth_server, services
from idp.plumbing.security import random_token

URN_PREFIX = "urn:ietf:params:oauth:request_uri:"
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", *JWT_AUTH_METHODS, "none"]


def pushed_authorization_request():
    server = oauth_server()
    oauth_request = server.create_oauth2_request(None)
    try:
        refuse_repeated_parameters()  # RFC 6749 3.1
        # 1. The client.
        client = server.authenticate_client(oauth_request, CLIENT_AUTH_METHODS, "pushed_authorization_request")
        # 2. The parameters.
        if "request_uri" in oauth_request.payload.data:
            raise InvalidRequestError("request_uri cannot be pushed (RFC 9126 2.1).")
        # Only the authorization parameters wait (client_secret, client_assertion and anything unknown do not).
        params = defined_parameters(server.jar.parameters(server, oauth_request, client) or oauth_request.payload.data)
        if params.get("client_id", client.client_id) != client.client_id:
            raise InvalidRequestError("client_id does not match the authenticated client.")
        params["client_id"] = client.client_id
        if oauth_request.payload.data.get(RESOURCE):  # RFC 8707 2: every value, kept space-separated
            params[RESOURCE] = " ".join(live_resources())
        if params.get("scope"):
            params["scope"] = understood_scope(params["scope"])  # OIDC Core 3.1.2.1
        jkt = dpop_key_of_request()  # RFC 9449 10.1: a DPoP proof here binds the code to its key
        if jkt:
            if params.get("dpop_jkt", jkt) != jkt:
                raise InvalidDPoPProofError("dpop_jkt does not match the DPoP proof's key.")
            params["dpop_jkt"] = jkt
        # 3. Validation as an authorization request.
        stored = StoredAuthorizationRequest(f"{services().config.issuer}/authorize", params)
        grant = server.get_authorization_grant(stored)
        grant.validate_no_multiple_request_parameter(stored)
        grant.validate_authorization_request()  # not the consent checks: prompt=none is for later
        if too_large(params):
            raise InvalidRequestError("The request's parameters are too long.")
    except OAuth2Error as error:
        error.redirect_uri = None  # RFC 9126 2.3: the answer goes to the client, not the browser
        return server.handle_error_response(oauth_request, error)
    # 4 and 5.
    ttl = services().config.par_ttl
    request_uri = URN_PREFIX + random_token(32)
    services().store.set(pushed_key(request_uri, client.client_id), json.dumps(params), ttl)
    return server.handle_response(201, {"request_uri": request_uri, "expires_in": ttl}, default_json_headers)


def pushed_key(request_uri: str, client_id: str) -> str:
    """Where a pushed request waits: its request_uri (fixed prefix, no "#") and its client."""
    return f"par:{request_uri}#{client_id}"


def take_pushed(request_uri: str, client_id: str | None) -> dict:
    """The pushed parameters, once, and only for the client that pushed them (RFC 9126 4): the
    client is part of the key, so another client's attempt consumes nothing."""
    if not request_uri.startswith(URN_PREFIX) or len(request_uri) > 128 or "#" in request_uri:
        raise InvalidRequestUriError(description="Only request_uri values from the PAR endpoint are accepted.")
    raw = services().store.take(pushed_key(request_uri, client_id)) if client_id else None
    if raw is None:
        raise InvalidRequestUriError(
            description="The request_uri is unknown, expired, already used, or was pushed by another client.")
    params = json.loads(raw)
    if params.get("client_id") != client_id:  # cannot happen (the key holds it); kept as a guard
        raise InvalidRequestUriError(description="The request_uri belongs to another client.")
    return params
