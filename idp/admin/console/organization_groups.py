"""An organization's groups in the console (issue 33): creating one on the organization's page, and
a group's page with its members (the organization's members only) and the roles it gives in the
organization, one a line. Through idp/organizations/groups.py, as the admin API's
/organizations/{id}/groups; a delegated administrator reaches their organization's groups only."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

import idp.admin.console.organization_access as access
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm
from idp.admin.console.organization_members import form_value, refused_or_back, user_id_named
from idp.admin.console.organizations import access_form_checked, back, target
from idp.admin.console.pages import PAGE_SIZE, ask_first, cursor_from_request, cursor_link
from idp.admin.console.registry import keyset_page
from idp.administration import NotFound
from idp.i18n import gettext as _

GROUP_MESSAGES = {"member_added": "The member was added.", "member_removed": "The member was removed.",
                  "roles_saved": "The group's roles were saved."}


@bp.post("/organizations/<organization_id>/groups")
def organization_group_create(organization_id: str):
    org = target(organization_id)
    access_form_checked()
    name = form_value("group_name", 1024)
    return refused_or_back(org, lambda: access.groups().create(access.console_actor(org.id), org.id, {"name": name}),
                           {"name": "group_name"}, "group_name", {"group_name": name}, "group_created", "#groups")


def group_of(org, group_id: str):
    try:
        return access.groups().get(access.console_actor(org.id), org.id, group_id)
    except NotFound:
        abort(404, _("There is no such group in this organization."))


def group_back(org, group, done: str | None = None) -> str:
    return url_for("admin.organization_group", organization_id=org.id, group_id=group.id, done=done)


@bp.route("/organizations/<organization_id>/groups/<group_id>", methods=["GET", "POST"])
def organization_group(organization_id: str, group_id: str, errors: dict | None = None, values: dict | None = None):
    """GET: the group's members and roles; POST: its roles replaced (one a line: API_IDENTIFIER#ROLE)."""
    org = target(organization_id)
    group = group_of(org, group_id)
    actor = access.console_actor(org.id)
    errors, values = dict(errors or {}), dict(values or {})
    if request.method == "POST" and not errors:
        access_form_checked()
        values["roles"] = request.form.get("roles", "")[:20_000]
        try:
            wanted = access.roles_from_text(values["roles"], "roles")
            with access.field_errors({"roles": "roles"}, "roles"):
                access.groups().set_roles(actor, org.id, group.id, wanted)
            return redirect(group_back(org, group, "roles_saved"))
        except access.FieldErrors as refused:
            errors = refused.errors
    after = cursor_from_request()
    members = keyset_page(lambda **kw: access.groups().members(actor, org.id, group.id, **kw), after, PAGE_SIZE)
    roles = values.get("roles", access.roles_text(access.groups().roles(actor, org.id, group.id)))
    done = request.args.get("done")
    return render_template("admin/organization_group.html", org=org, group=group, members=members.items,
                           next_cursor=cursor_link(members.next_key), first_page=after is None, roles=roles,
                           errors=errors, values=values, form=ActionForm(),
                           message=_(GROUP_MESSAGES[done]) if done in GROUP_MESSAGES and not errors else None), \
        400 if errors else 200


@bp.post("/organizations/<organization_id>/groups/<group_id>/members")
def organization_group_member_add(organization_id: str, group_id: str):
    org = target(organization_id)
    group = group_of(org, group_id)
    access_form_checked()
    named = form_value("member")
    try:
        with access.field_errors({}, "member"):
            access.groups().add_member(access.console_actor(org.id), org.id, group.id, user_id_named(named, "member"))
    except access.FieldErrors as refused:
        return organization_group(org.id, group.id, refused.errors, {"member": named})
    return redirect(group_back(org, group, "member_added"))


@bp.post("/organizations/<organization_id>/groups/<group_id>/members/remove")
def organization_group_member_remove(organization_id: str, group_id: str):
    org = target(organization_id)
    group = group_of(org, group_id)
    user_id, email = form_value("user_id", 36), form_value("email")
    page = ask_first(title=_("Remove %(member)s?", member=email or user_id),
                     question=_("%(member)s leaves %(group)s, and the roles held through it.", member=email or user_id,
                                group=group.name),
                     button=_("Remove"), cancel=group_back(org, group), fields={"user_id": user_id, "email": email})
    if page is not None:
        return page
    try:
        with access.field_errors({}, "member"):
            access.groups().remove_member(access.console_actor(org.id), org.id, group.id, user_id)
    except access.FieldErrors as refused:
        return organization_group(org.id, group.id, refused.errors, {})
    return redirect(group_back(org, group, "member_removed"))


@bp.post("/organizations/<organization_id>/groups/<group_id>/delete")
def organization_group_delete(organization_id: str, group_id: str):
    org = target(organization_id)
    group = group_of(org, group_id)
    page = ask_first(title=_("Delete the group %(name)s?", name=group.name),
                     question=_("Its members' next tokens for %(organization)s no longer carry its roles.",
                                organization=org.name),
                     button=_("Delete the group"), cancel=group_back(org, group))
    if page is not None:
        return page
    return refused_or_back(org, lambda: access.groups().delete(access.console_actor(org.id), org.id, group.id),
                           {}, "group_name", {}, "group_deleted", "#groups")
