"""Sign-in through an organization's enterprise connection (issue 33): the login page's identifier
step hands an email whose domain an organization verified to that organization's connection
(home-realm discovery, idp/organizations/home_realm.py); the provider comes back to
/federation/connections/<id>/callback, whose state, iss and ID token checks are the federation's
(idp/web/federation.py), and the person is signed in as a member of the organization.

A connection whose upstream cannot be reached ends on the federation's error page (502), never a 500.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, redirect, session, url_for

from idp.federation.linking import pending_link
from idp.organizations import home_realm
from idp.organizations.connections import connector_of
from idp.plumbing.context import services
from idp.signin import authn
from idp.web.blueprint import bp
from idp.web.federation import (
    AMR_FEDERATED,
    DISABLED,
    FAILED,
    NO_VERIFIED_EMAIL,
    Returned,
    begin,
    failure,
    returned,
)

FOREIGN_DOMAIN = ("Your %(provider)s account's email address is not in one of this organization's domains, "
                  "so it cannot sign in here.")
REFUSALS = {"unverified_email": NO_VERIFIED_EMAIL, "foreign_domain": FOREIGN_DOMAIN}


def route_home_realm(email: str, interaction_id: str | None):
    """The connection's start when the email's domain is routed (None: sign in here as usual)."""
    connection = home_realm.connection_for(services(), email)
    if connection is None:
        return None
    return begin(connector_of(services(), connection), interaction_id, organization_id=connection.organization_id)


@bp.get("/federation/connections/<connection_id>/callback")
def connection_callback(connection_id: str):
    svc = services()
    connection = svc.org_connections.get(connection_id) if len(connection_id) <= 32 else None
    if connection is None:
        abort(404)
    connector = connector_of(svc, connection)
    outcome = returned(connector)
    if not isinstance(outcome, Returned):
        return outcome
    flow, upstream = outcome.flow, outcome.upstream
    interaction_id = flow.get("interaction")
    result = home_realm.sign_in(svc, connection, upstream)
    if result.link_to:
        # Same verified email as a local account: linked (and made a member) only after its owner signs in.
        session["fed_link"] = pending_link(connection.id, upstream.subject, upstream.email, result.link_to,
                                           connection.organization_id)
        query = {"login_hint": upstream.email, **({"interaction": interaction_id} if interaction_id else {})}
        return redirect(url_for("web.login") + "?" + urlencode(query))
    if result.refused:
        return failure(connector, REFUSALS.get(result.refused, FAILED), interaction_id, 403)
    if result.user is None or result.user.disabled:
        return failure(connector, DISABLED, interaction_id, 403)
    authn.start_session(result.user, AMR_FEDERATED, idp=connection.id)
    return authn.after_sign_in(interaction_id)
