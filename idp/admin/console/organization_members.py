"""An organization's members, their roles, its invitations and its email domains in the console
(issue 33): the forms of the organization's page (organizations.py), each through the same service
as the admin API's route (idp/organizations), each refusal shown under the field it is about.
Removals and revocations ask first."""

from __future__ import annotations

from flask import abort, redirect, render_template, request

import idp.admin.console.organization_access as access
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm
from idp.admin.console.organizations import access_form_checked, back, organization_view, target
from idp.admin.console.pages import ask_first
from idp.administration import NotFound
from idp.administration.apis import storable
from idp.i18n import gettext as _
from idp.plumbing.context import services

TTL_DAYS = (1, 3, 7, 14, 30)
REMOVE_DOMAIN_QUESTION = "Users of %(domain)s no longer join on sign-in, and it must be verified again if claimed again."


def form_value(name: str, limit: int = 320) -> str:
    value = request.form.get(name, "").strip()[:limit]
    if not storable(value):
        abort(400, _("A field holds a character no name can hold."))
    return value


def user_id_named(value: str, field: str) -> str:
    """The user a form names by email or by id; FieldErrors when there is none."""
    users = services().users
    found = (users.by_email(value) if "@" in value else users.by_id(value)) if value else None
    if found is None:
        raise access.FieldErrors({field: _("there is no user with this email or id")})
    return found.id


def refused_or_back(org, work, fields: dict, default: str, values: dict, done: str, anchor: str):
    """work() through the services, then back to the page with `done`; a refusal: the page again."""
    try:
        with access.field_errors(fields, default):
            work()
    except access.FieldErrors as refused:
        return organization_view(org, refused.errors, values, refused.status)
    return redirect(back(org.id, done, anchor))


def removal(org, work, *, title: str, question: str, fields: dict, button: str, default: str, done: str,
            anchor: str):
    """A removal from the organization's page: asked first, then work(), then back to the page."""
    page = ask_first(title=title, question=question, button=button, cancel=back(org.id), fields=fields)
    return page if page is not None else refused_or_back(org, work, {}, default, {}, done, anchor)


# -- members ------------------------------------------------------------------------------------
@bp.post("/organizations/<organization_id>/members")
def organization_member_add(organization_id: str):
    """By email or user id. A delegated administrator adds only users of the organization's verified
    domains with a verified email (anyone else: 'no such user', as the admin API answers it 404)."""
    org = target(organization_id)
    access_form_checked()
    named = form_value("member")
    return refused_or_back(org, lambda: access.organizations().add_member(
        access.console_actor(org.id), org.id, user_id_named(named, "member")),
        {"user": "member", "user_id": "member"}, "member", {"member": named}, "member_added", "#members")


@bp.post("/organizations/<organization_id>/members/remove")
def organization_member_remove(organization_id: str):
    org = target(organization_id)
    user_id, email = form_value("user_id", 36), form_value("email")
    return removal(org, lambda: access.organizations().remove_member(access.console_actor(org.id), org.id, user_id),
                   title=_("Remove %(member)s?", member=email or user_id),
                   question=_("%(member)s leaves %(organization)s and loses the roles held in it.",
                              member=email or user_id, organization=org.name),
                   fields={"user_id": user_id, "email": email}, button=_("Remove"), default="member",
                   done="member_removed", anchor="#members")


@bp.route("/organizations/<organization_id>/members/<user_id>", methods=["GET", "POST"])
def organization_member(organization_id: str, user_id: str):
    """A member's roles in the organization: org:admin and API roles, one a line."""
    org = target(organization_id)
    actor = access.console_actor(org.id)
    try:
        member = access.organizations().member(actor, org.id, user_id)
    except NotFound:
        abort(404, _("This user is not a member of the organization."))
    errors, text = {}, access.roles_text(member.roles)
    if request.method == "POST":
        access_form_checked()
        text = request.form.get("roles", "")[:20_000]
        try:
            wanted = access.roles_from_text(text, "roles")
            with access.field_errors({"roles": "roles"}, "roles"):
                access.organizations().set_roles(actor, org.id, member.user_id, wanted)
            return redirect(back(org.id, "roles_saved", "#members"))
        except access.FieldErrors as refused:
            errors = refused.errors
    return render_template("admin/organization_member.html", org=org, member=member, roles=text, errors=errors,
                           form=ActionForm()), 400 if errors else 200


# -- invitations --------------------------------------------------------------------------------
@bp.post("/organizations/<organization_id>/invitations")
def organization_invite(organization_id: str):
    """An email, its roles (one a line) and how many days the link works; the link goes by email."""
    org = target(organization_id)
    access_form_checked()
    values = {"invite_email": form_value("invite_email", 1024), "invite_roles": request.form.get("invite_roles", "")[:20_000],
              "invite_days": request.form.get("invite_days", "7")[:3]}
    fields = {"email": "invite_email", "roles": "invite_roles", "ttl": "invite_days"}

    def work():
        roles = access.roles_from_text(values["invite_roles"], "invite_roles")
        days = int(values["invite_days"]) if values["invite_days"].isdigit() else 0
        if days not in TTL_DAYS:
            raise access.FieldErrors({"invite_days": _("one of %(days)s days", days=", ".join(map(str, TTL_DAYS)))})
        access.invitations().invite(access.console_actor(org.id), org.id,
                                    {"email": values["invite_email"], "roles": roles, "ttl": days * 86400})
    return refused_or_back(org, work, fields, "invite_email", values, "invited", "#invitations")


@bp.post("/organizations/<organization_id>/invitations/revoke")
def organization_invitation_revoke(organization_id: str):
    org = target(organization_id)
    invitation_id, email = form_value("invitation_id", 36), form_value("email")
    return removal(org, lambda: access.invitations().revoke(access.console_actor(org.id), org.id, invitation_id),
                   title=_("Revoke the invitation of %(email)s?", email=email),
                   question=_("Its link stops working at once; the invitation leaves the list."),
                   fields={"invitation_id": invitation_id, "email": email}, button=_("Revoke"),
                   default="invitation", done="invitation_revoked", anchor="#invitations")


# -- email domains ------------------------------------------------------------------------------
@bp.post("/organizations/<organization_id>/domains")
def organization_domain_claim(organization_id: str):
    org = target(organization_id)
    access_form_checked()
    domain = form_value("domain", 253)
    return refused_or_back(org, lambda: access.domains().claim(access.console_actor(org.id), org.id, domain),
                           {"domain": "domain"}, "domain", {"domain": domain}, "domain_claimed", "#domains")


@bp.post("/organizations/<organization_id>/domains/verify")
def organization_domain_verify(organization_id: str):
    """Looks the TXT record up now; not there yet: the reason under the domain's row."""
    org = target(organization_id)
    access_form_checked()
    domain = form_value("domain", 253)
    return refused_or_back(org, lambda: access.domains().verify(access.console_actor(org.id), org.id, domain),
                           {}, "verify:" + domain, {}, "domain_verified", "#domains")


@bp.post("/organizations/<organization_id>/domains/remove")
def organization_domain_remove(organization_id: str):
    org = target(organization_id)
    domain = form_value("domain", 253)
    return removal(org, lambda: access.domains().remove(access.console_actor(org.id), org.id, domain),
                   title=_("Remove %(domain)s?", domain=domain), question=_(REMOVE_DOMAIN_QUESTION, domain=domain),
                   fields={"domain": domain}, button=_("Remove"), default="verify:" + domain,
                   done="domain_removed", anchor="#domains")
