"""`idp demo`'s callback page: the redirect URI of the "try" URL it prints, so that a person on a
fresh machine sees a whole authorization code flow work, as a relying party would finish it.

It plays the relying party of idp/config/demo.py's DemoTry: it accepts only the state the demo
printed, redeems the code at the token endpoint over HTTP like any client (client_secret_basic
and the code verifier kept server-side, RFC 7636 4.5), validates the ID token against the key set
the IdP publishes (signature, iss, aud, azp, exp; OpenID Connect Core 1.0 3.1.3.7) and compares its
nonce with the one it sent (3.1.3.7 step 11), then shows what it received. Registered by the app
factory only when the configuration carries a DemoTry, which only `idp demo` sets and production
refuses (Config.validate): `idp serve` has no such page.
"""

from __future__ import annotations

import base64
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request

from flask import Blueprint, render_template, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.i18n import gettext as _
from idp.plumbing.context import services
from idp.web.outcome import outcome

bp = Blueprint("demo", __name__)
TOKEN_TIMEOUT = 10  # seconds; the token endpoint is this very server


class DemoFailed(Exception):
    """What went wrong, for the page to say."""


def redeem(demo, issuer: str, code: str) -> dict:
    """POST /token (RFC 6749 4.1.3) with the verifier; the token response as JSON, or DemoFailed."""
    body = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": demo.redirect_uri, "code_verifier": demo.code_verifier})
    credentials = base64.b64encode(  # RFC 6749 2.3.1: each part form-urlencoded, then Basic
        f"{urllib.parse.quote(demo.client_id, safe='')}:{urllib.parse.quote(demo.client_secret, safe='')}".encode())
    token_request = urllib.request.Request(issuer + "/token", data=body.encode(), method="POST", headers={
        "Authorization": "Basic " + credentials.decode(), "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(token_request, timeout=TOKEN_TIMEOUT) as response:  # noqa: S310 (our issuer)
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise DemoFailed(exc.read().decode("utf-8", "replace")[:500]) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DemoFailed(str(exc)) from None


def validated_claims(demo, issuer: str, id_token: str) -> dict:
    """The ID token's claims once its signature and registered claims check out (Core 3.1.3.7)."""
    body, _etag = services().keys.jwks()  # the document /jwks.json serves
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(json.loads(body)))
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer}, sub={"essential": True},
                              exp={"essential": True}).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise DemoFailed(f"ID token: {exc}") from None
    claims = token.claims
    audience = claims.get("aud")
    if demo.client_id not in (audience if isinstance(audience, list) else [audience]):
        raise DemoFailed("ID token: not issued to the demo client")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != demo.client_id:
        raise DemoFailed("ID token: azp is not the demo client")
    return claims


@bp.route("/demo/callback")
def callback():
    demo, issuer = services().config.demo, services().config.issuer
    state, code = request.args.get("state", ""), request.args.get("code", "")
    if not hmac.compare_digest(state.encode(), demo.state.encode()):  # RFC 6749 10.12
        return failed(_("This is not the state the demo sent. Open the URL `idp demo` printed."))
    if request.args.get("error"):
        return failed(request.args.get("error_description") or request.args["error"])
    if request.args.get("iss") not in (None, issuer):  # RFC 9207 2.4
        return failed(_("The response does not come from this issuer."))
    if not code:
        return failed(_("The response carries no code."))
    try:
        tokens = redeem(demo, issuer, code)
        claims = validated_claims(demo, issuer, tokens.get("id_token") or "")
    except DemoFailed as exc:
        return failed(str(exc))
    nonce_ok = hmac.compare_digest(str(claims.get("nonce", "")).encode(), demo.nonce.encode())
    received = {name: value for name, value in tokens.items() if name not in ("access_token", "refresh_token", "id_token")}
    return render_template("demo_callback.html", claims=json.dumps(claims, indent=2, sort_keys=True),
                           sub=claims.get("sub"), nonce_ok=nonce_ok, received=json.dumps(received, indent=2)), 200 if nonce_ok else 400


def failed(reason: str):
    return outcome(_("The demo sign-in did not finish"), [reason], kind="error", status=400)
