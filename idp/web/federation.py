"""Sign in with an upstream provider (issue 5): start, callback, and unlink from the account page.

1. POST /login/federated/<provider> (a button on the login page, CSRF-protected): a fresh `state`,
   `nonce` and PKCE verifier are kept in this browser's session, then off to the provider;
2. GET /federation/<provider>/callback: the state must be one this browser started (used once:
   a replay finds nothing); `error=access_denied` and provider failures end on an error page;
   the connector exchanges the code and validates what comes back;
3. identity mapping: a known (provider, subject) signs in to its user; otherwise, a verified
   email that no local account has creates one (just in time); a verified email that a local
   account has is linked only after a password sign-in to that account (linking.py);
   an unverified or missing email never creates nor links;
4. the sign-in: amr ["fed"], the provider in the ID token's `idp` claim, then the authorization
   request that sent the person to the login page resumes.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from urllib.parse import urlencode

from authlib.common.security import generate_token
from flask import abort, redirect, render_template, request, session, url_for

from idp.federation import UpstreamError, UpstreamIdentity, UpstreamRejected
from idp.federation.groups import local_memberships
from idp.federation.linking import pending_link
from idp.i18n import gettext as _
from idp.observability import audit
from idp.plumbing.context import services
from idp.signin import authn, interactions
from idp.store.errors import Conflict
from idp.web.account import signed_in_user
from idp.web.blueprint import bp
from idp.web.forms import FederatedStartForm, UnlinkForm

log = logging.getLogger("idp.federation")
FLOW_TTL = 600  # seconds to come back from the provider
MAX_FLOWS = 5  # sign-ins started in parallel tabs

AMR_FEDERATED = ["fed"]
CANCELLED = "You cancelled signing in with %(provider)s."
FAILED = "%(provider)s could not sign you in. Try again, or use another way to sign in."
UNREACHABLE = "%(provider)s is not responding right now. Try again in a moment."
REJECTED = "The answer from %(provider)s could not be verified, so you were not signed in."
BAD_STATE = "This sign-in attempt is not valid or was already used. Start again from the sign-in page."
NO_VERIFIED_EMAIL = ("Your %(provider)s account has no verified email address, so it cannot be used to sign in "
                     "here. Verify it at %(provider)s, or sign in another way.")
NO_ACCOUNT = "No account here matches your %(provider)s account."
DISABLED = "This account cannot sign in."
LINKED_ELSEWHERE = "That %(provider)s account is already linked to another account here."
LINK_NOTICE = ("Your %(provider)s account uses the email address of an existing account. Sign in to that account "
               "with its password to link them; then either way signs you in.")


def connector_or_404(name: str):
    connector = services().connectors.get(name)
    if connector is None:
        abort(404)
    return connector


def failure(connector, message: str, interaction_id: str | None, status: int = 400, code: str = "access_denied"):
    label = connector.label if connector else ""
    return render_template("federation_error.html", error=code, description=_(message, provider=label),
                           interaction=interaction_id), status


@bp.post("/login/federated/<name>")
def federated_start(name: str):
    connector = connector_or_404(name)
    form = FederatedStartForm()
    if not form.validate_on_submit():
        abort(400)
    interaction_id = form.interaction.data or None
    link_uid = session.get("uid") if form.link.data == "1" else None  # "Link" on the account page
    if form.link.data == "1" and not link_uid:
        return redirect(url_for("web.login"))
    if interaction_id and interactions.load(interaction_id) is None:
        return render_template("error.html", error="expired_request",
                               description="This sign-in request has expired. Start again from the application."), 400
    return begin(connector, interaction_id, link_uid)


def begin(connector, interaction_id: str | None, link_uid: str | None = None, **extra):
    """Off to the provider: a fresh state, nonce and PKCE verifier kept in this browser's session
    (`extra`: what the callback needs besides, e.g. an organization's connection). A provider whose
    discovery cannot be read now gets a page, 502."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(48)
    try:
        url = connector.authorization_url(state, nonce, verifier)
    except UpstreamError as exc:
        log.warning("federation: %s discovery failed: %s", connector.name, exc)
        audit.record("federation.failed", provider=connector.name, reason=str(exc)[:120], **extra)
        return failure(connector, UNREACHABLE, interaction_id, 502, "temporarily_unavailable")
    now = int(time.time())
    flows = {s: f for s, f in (session.get("fed_flows") or {}).items() if f["until"] > now}
    flows = dict(sorted(flows.items(), key=lambda item: item[1]["until"])[-(MAX_FLOWS - 1):])
    flows[state] = {"provider": connector.name, "nonce": nonce, "verifier": verifier, "interaction": interaction_id,
                    "link_uid": link_uid, "until": now + FLOW_TTL, **extra}
    session["fed_flows"] = flows
    audit.record("federation.started", provider=connector.name, **extra)
    return redirect(url)


@bp.get("/federation/<name>/callback")
def federated_callback(name: str):
    connector = connector_or_404(name)
    outcome = returned(connector)
    if not isinstance(outcome, Returned):
        return outcome
    flow, upstream = outcome.flow, outcome.upstream
    if flow.get("link_uid"):
        return link_to_signed_in_user(connector, upstream, flow["link_uid"])
    return sign_in(connector, upstream, flow.get("interaction"))


@dataclasses.dataclass(frozen=True)
class Returned:
    flow: dict  # what this browser started (begin)
    upstream: UpstreamIdentity  # validated


def returned(connector):
    """The provider's answer at the callback: Returned, or the page that ends the attempt (a replayed
    or foreign state, a refusal, a failure)."""
    name = connector.name
    state = request.args.get("state", "")
    flows = dict(session.get("fed_flows") or {})
    flow = flows.pop(state, None) if state else None
    if flow is not None:
        session["fed_flows"] = flows  # used once: a replayed callback finds nothing
    if flow is None or flow["provider"] != name or flow["until"] < time.time():
        audit.record("federation.refused", provider=name, reason="state")
        return failure(connector, BAD_STATE, None, 400, "invalid_state")
    interaction_id = flow.get("interaction")
    try:  # RFC 9207 2.4: before anything else in the response is believed, errors included
        connector.check_response_issuer(request.args.getlist("iss"))
    except UpstreamError as exc:
        return upstream_failure(connector, exc, interaction_id)
    if error := request.args.get("error"):
        audit.record("federation.cancelled" if error == "access_denied" else "federation.failed",
                     provider=name, upstream_error=error[:64])
        return failure(connector, CANCELLED if error == "access_denied" else FAILED, interaction_id,
                       400, "access_denied" if error == "access_denied" else "upstream_error")
    code = request.args.get("code")
    if not code:
        return failure(connector, FAILED, interaction_id, 400, "upstream_error")
    try:
        upstream = connector.identity(code, flow["verifier"], flow["nonce"])
    except UpstreamError as exc:
        return upstream_failure(connector, exc, interaction_id)
    return Returned(flow, upstream)


def upstream_failure(connector, exc: UpstreamError, interaction_id: str | None):
    """A refused answer (UpstreamRejected: 400) or an unreachable provider (502): logged, audited, a page."""
    name = connector.name
    if isinstance(exc, UpstreamRejected):
        log.warning("federation: %s answer refused: %s", name, exc)
        audit.record("federation.refused", provider=name, reason=str(exc)[:120])
        return failure(connector, REJECTED, interaction_id, 400, "invalid_upstream_response")
    log.warning("federation: %s failed: %s", name, exc)
    audit.record("federation.failed", provider=name, reason=str(exc)[:120])
    return failure(connector, UNREACHABLE, interaction_id, 502, "temporarily_unavailable")


def link_to_signed_in_user(connector, upstream, user_id: str):
    """The account page's "Link": the person is signed in here and just signed in upstream, so both are theirs."""
    if session.get("uid") != user_id:
        return failure(connector, BAD_STATE, None, 400, "invalid_state")
    svc = services()
    known = svc.federated.find(upstream.provider, upstream.subject)
    if known is None:
        try:
            svc.federated.link(upstream.provider, upstream.subject, user_id, upstream.email)
        except Conflict:
            known = svc.federated.find(upstream.provider, upstream.subject)
        else:
            audit.record("federation.linked", user_id=user_id, provider=upstream.provider)
            return redirect(url_for("web.account", done="linked"))
    if known is not None and known.user_id != user_id:
        return failure(connector, LINKED_ELSEWHERE, None, 409, "already_linked")
    return redirect(url_for("web.account", done="linked"))


def sign_in(connector, upstream, interaction_id: str | None):
    svc = services()
    known = svc.federated.find(upstream.provider, upstream.subject)
    if known is not None:
        user = svc.users.by_id(known.user_id)
    else:
        if not upstream.email or not upstream.email_verified:
            audit.record("federation.refused", provider=upstream.provider, reason="unverified_email")
            return failure(connector, NO_VERIFIED_EMAIL, interaction_id, 403)
        local = svc.users.by_email(upstream.email)
        if local is not None:
            # Same verified email as a local account: link only after its owner signs in to it.
            session["fed_link"] = pending_link(upstream.provider, upstream.subject, upstream.email, local.id)
            query = {"login_hint": upstream.email, **({"interaction": interaction_id} if interaction_id else {})}
            return redirect(url_for("web.login") + "?" + urlencode(query))
        if not svc.config.allow_registration:
            return failure(connector, NO_ACCOUNT, interaction_id, 403)
        try:
            user = svc.federated.create_user(upstream.provider, upstream.subject, upstream.email, upstream.name)
            audit.record("federation.user_created", user_id=user.id, provider=upstream.provider)
        except Conflict:  # a concurrent first sign-in won the race
            known = svc.federated.find(upstream.provider, upstream.subject)
            user = svc.users.by_id(known.user_id) if known else None
            if user is None:
                return failure(connector, FAILED, interaction_id, 409, "upstream_error")
    if user is None or user.disabled:
        return failure(connector, DISABLED, interaction_id, 403)
    if upstream.groups is not None:  # the provider maps groups: memberships follow the upstream now
        member_of, not_member_of = local_memberships(connector.provider, upstream.groups)
        if svc.apis.set_direct_memberships(user.id, member_of, not_member_of):
            audit.record("federation.groups_synced", user_id=user.id, provider=upstream.provider,
                         groups=sorted(member_of))
    authn.start_session(user, AMR_FEDERATED, idp=upstream.provider)
    return authn.after_sign_in(interaction_id)


def pending_link_notice() -> str | None:
    """The login page's note while an upstream identity waits to be linked."""
    pending = session.get("fed_link")
    if not pending or pending.get("until", 0) < time.time():
        return None
    svc = services()
    connector = svc.connectors.get(pending["provider"]) or (  # an organization's connection (idp/web/org_connections.py)
        svc.org_connections.get(pending["provider"]) if pending.get("org") else None)
    return _(LINK_NOTICE, provider=connector.label if connector else pending["provider"])


def login_providers() -> list:
    return list(services().connectors.values())


@bp.post("/account/linked/remove")
def account_unlink():
    user = signed_in_user()
    if user is None:
        return redirect(url_for("web.login"))
    form = UnlinkForm()
    if not form.validate_on_submit():
        return redirect(url_for("web.account"))
    if services().federated.unlink(user.id, form.provider.data, form.subject.data):
        audit.record("federation.unlinked", user_id=user.id, provider=form.provider.data)
        return redirect(url_for("web.account", done="unlinked"))
    return redirect(url_for("web.account", done="unlink-refused"))
