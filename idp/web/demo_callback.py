"""`idp demo`'s callback page: the redirect URI of the "try" URL it prints, so that a person on a
fresh machine sees a whole authorization code flow work, as a relying party would finish it.

It plays the relying party of idp/config/demo.py's DemoTry: it accepts only the state the demo
printed (RFC 6749 10.12) from this issuer (RFC 9207), redeems the code at the token endpoint with
the demo client's secret and the code verifier kept server-side (RFC 7636 4.5), validates the ID
token — signature against the published keys, iss, aud, exp and the nonce it sent (OpenID Connect
Core 1.0 3.1.3.7) — the way the admin console does (idp/oauth/own_client.py), then shows what it
received, escaped. Registered by the app factory only when the configuration carries a DemoTry,
which only `idp demo` sets and production refuses (Config.validate): `idp serve` has no such page.
"""

from __future__ import annotations

import hmac
import json

from flask import Blueprint, render_template, request

from idp.i18n import gettext as _
from idp.oauth.own_client import redeem_code, verified_id_token
from idp.plumbing.context import services
from idp.web.outcome import outcome

bp = Blueprint("demo", __name__)
SHOWN = ("token_type", "expires_in", "scope")  # of the token response; the tokens themselves stay here


@bp.route("/demo/callback")
def callback():
    demo, issuer = services().config.demo, services().config.issuer
    if not hmac.compare_digest(request.args.get("state", "").encode(), demo.state.encode()):
        return failed(_("This is not the state the demo sent. Open the URL `idp demo` printed."))
    if request.args.get("iss") != issuer:
        return failed(_("The response does not come from this issuer."))
    if request.args.get("error"):
        return failed(request.args.get("error_description") or request.args["error"])
    if not request.args.get("code"):
        return failed(_("The response carries no code."))
    status, tokens = redeem_code(demo.client_id, demo.client_secret, request.args["code"], demo.redirect_uri,
                                 demo.code_verifier)
    if status != 200:
        return failed(f"{status} {tokens.get('error', '')}: {tokens.get('error_description', '')}")
    claims = verified_id_token(tokens.get("id_token", ""), demo.client_id, demo.nonce)
    if claims is None:
        return failed(_("The ID token did not pass the checks (signature, issuer, audience, expiry, nonce)."))
    return render_template("demo_callback.html", sub=claims["sub"], claims=json.dumps(claims, indent=2, sort_keys=True),
                           received=json.dumps({name: tokens[name] for name in SHOWN if name in tokens}, indent=2))


def failed(reason: str):
    return outcome(_("The demo sign-in did not finish"), [reason], kind="error", status=400)
