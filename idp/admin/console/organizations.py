"""Organizations in the console (issue 33): the list (a keyset page by slug, searched by a part of
the slug or the name), creating one, and an organization's page with its sections: settings,
members, invitations, email domains, groups, branding and enterprise connections (their forms:
organization_members.py, organization_groups.py, organization_sso.py). Everything goes through
idp/organizations, as the admin API and `idp orgs` do, with the console's administrator as the
Actor (limited to the organization for a delegated one: organization_access.py). A refused form
comes back with each reason under its field."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

import idp.admin.console.organization_access as access
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm
from idp.admin.console.organization_sso_form import connections_section
from idp.admin.console.pages import PAGE_SIZE, ask_first, cursor_from_request, cursor_link, utc
from idp.admin.console.registry import keyset_page
from idp.administration import NotFound
from idp.i18n import gettext as _
from idp.organizations.admin import organization_version
from idp.organizations.domains import RECORD_PREFIX, TOKEN_PREFIX
from idp.plumbing.context import services
from idp.store.models import utcnow

MESSAGES = {
    "created": "The organization was created.", "saved": "The settings were saved.",
    "member_added": "The member was added.", "member_removed": "The member was removed.",
    "roles_saved": "The member's roles were saved.", "invited": "The invitation was sent by email.",
    "invitation_revoked": "The invitation was revoked: its link no longer works.",
    "domain_claimed": "The domain was claimed: publish its TXT record, then verify it.",
    "domain_verified": "The domain is verified.", "domain_removed": "The domain was removed.",
    "group_created": "The group was created.", "group_deleted": "The group was deleted.",
    "branding_saved": "The branding was saved.", "connection_created": "The connection was created.",
    "connection_deleted": "The connection was deleted.",
}
DELETE_QUESTION = ("%(name)s, its memberships, member roles, groups, domains and invitations are removed. Tokens "
                   "already issued keep its org_id until they expire; its refresh tokens stop working.")


@bp.get("/organizations")
def organizations():
    """A deployment administrator: every organization (searched); a delegated one: theirs."""
    query = request.args.get("q", "").strip()[:255]
    if not access.deployment_admin():
        mine = services().organizations.administered_by(g.admin.id)
        return render_template("admin/organizations.html", organizations=mine, query="", next_cursor=None,
                               first_page=True, form=None, errors={}, values={})
    return listing(query)


def listing(query: str, errors: dict | None = None, values: dict | None = None, status: int = 200):
    after = cursor_from_request()
    page = keyset_page(lambda **kw: access.organizations().list(access.console_actor(), search=query or None, **kw),
                       after, PAGE_SIZE)
    return render_template("admin/organizations.html", organizations=page.items, query=query,
                           next_cursor=cursor_link(page.next_key), first_page=after is None, form=ActionForm(),
                           errors=errors or {}, values=values or {}), status


@bp.post("/organizations")
def organization_create():
    access_form_checked()
    values = {"slug": request.form.get("slug", "").strip()[:255], "name": request.form.get("name", "")[:1024]}
    try:
        with access.field_errors({"slug": "slug", "name": "name"}, "slug"):
            org = access.organizations().create(access.console_actor(), values)
    except access.FieldErrors as refused:
        return listing("", refused.errors, values, refused.status)
    return redirect(back(org.id, "created"))


def access_form_checked() -> None:
    """The form's CSRF token (the app's CSRFProtect refused a POST without one already): a second
    look with Flask-WTF, so a page that skipped the token still cannot act."""
    from flask import abort

    if not ActionForm().validate_on_submit():
        abort(400)


def back(organization_id: str, done: str | None = None, anchor: str = "") -> str:
    return url_for("admin.organization_page", organization_id=organization_id, done=done) + anchor


def target(organization_id: str):
    """The organization the path names, as the actor may see it; else the 404 page."""
    from flask import abort

    try:
        return access.organizations().get(access.console_actor(organization_id), organization_id)
    except NotFound:
        abort(404, _("There is no such organization."))


def invitation_state(invitation) -> str:
    if invitation.accepted:
        return _("accepted")
    return _("expired") if invitation.expires_at <= utcnow() else _("pending")


@bp.get("/organizations/<organization_id>")
def organization_page(organization_id: str):
    return organization_view(target(organization_id))


def organization_view(org, errors: dict | None = None, values: dict | None = None, status: int = 200):
    """The organization's page; `errors` and `values`: a refused form's, shown under its fields."""
    actor = access.console_actor(org.id)
    after, inv_after = cursor_from_request(), cursor_from_request("invitations_after")
    dom_after, grp_after = cursor_from_request("domains_after"), cursor_from_request("groups_after")
    members = keyset_page(lambda **kw: access.organizations().members(actor, org.id, **kw), after, PAGE_SIZE)
    invites = keyset_page(lambda **kw: access.invitations().list(actor, org.id, **kw), inv_after, PAGE_SIZE)
    domains = keyset_page(lambda **kw: access.domains().list(actor, org.id, **kw), dom_after, PAGE_SIZE)
    groups = keyset_page(lambda **kw: access.groups().list(actor, org.id, **kw), grp_after, PAGE_SIZE)
    done = request.args.get("done")
    return render_template(
        "admin/organization.html", org=org, version=organization_version(org), form=ActionForm(),
        members=members.items, members_next=cursor_link(members.next_key), members_first=after is None,
        invitations=[(i, invitation_state(i)) for i in invites.items],
        invitations_next=cursor_link(invites.next_key), invitations_first=inv_after is None,
        domains=domains.items, domains_next=cursor_link(domains.next_key), domains_first=dom_after is None,
        groups=groups.items, groups_next=cursor_link(groups.next_key), groups_first=grp_after is None,
        record_prefix=RECORD_PREFIX, token_prefix=TOKEN_PREFIX, utc=utc, errors=errors or {}, values=values or {},
        deployment=access.deployment_admin(), **connections_section(actor, org),
        message=_(MESSAGES[done]) if done in MESSAGES and not errors else None), status


@bp.post("/organizations/<organization_id>/settings")
def organization_settings(organization_id: str):
    """The name and whether users of its verified domains join on sign-in; the slug (deployment only)."""
    org = target(organization_id)
    access_form_checked()
    values = {"name": request.form.get("name", "")[:1024],
              "domain_membership": request.form.get("domain_membership") == "y"}
    if access.deployment_admin() and "slug" in request.form:
        values["slug"] = request.form.get("slug", "").strip()[:255]
    try:
        with access.field_errors({"name": "name", "slug": "slug", "domain_membership": "domain_membership"}, "name"):
            access.organizations().update(access.console_actor(org.id), org.id, values,
                                          request.form.get("version", "")[:64] or "-")
    except access.FieldErrors as refused:
        return organization_view(org, refused.errors, values, refused.status)
    return redirect(back(org.id, "saved"))


@bp.post("/organizations/<organization_id>/delete")
def organization_delete(organization_id: str):
    org = target(organization_id)
    version = request.form.get("version", "")[:64]
    page = ask_first(title=_("Delete %(name)s?", name=org.name), question=_(DELETE_QUESTION, name=org.name),
                     button=_("Delete the organization"), cancel=back(org.id), fields={"version": version})
    if page is not None:
        return page
    try:
        with access.field_errors({}, "delete"):
            access.organizations().delete(access.console_actor(), org.id, version or "-")
    except access.FieldErrors as refused:
        return organization_view(org, refused.errors, {}, refused.status)
    return redirect(url_for("admin.organizations"))
