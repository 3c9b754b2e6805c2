"""Groups (issue 21): the list and creating one; a group's page with its direct members (a keyset
page at a time), adding or removing a member by email, putting a group inside it or taking it out
(a loop is refused, 400), and deleting the group. Removals and deletion ask first."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

import idp.admin.console.form_model as form_model
import idp.admin.console.holdings as holdings
from idp.admin.console.blueprint import bp
from idp.admin.console.forms import ActionForm
from idp.admin.console.forms_apis import GroupForm
from idp.admin.console.listing import searched
from idp.admin.console.pages import PAGE_SIZE, cursor_from_request, cursor_link
from idp.admin.console.registry import (
    Refused,
    actor,
    attempt,
    confirmed_then,
    form_text,
    found_or_404,
    group_admin,
    group_named,
    keyset_page,
    refusals,
    submitted,
    user_named,
)
from idp.administration.groups import group_version
from idp.i18n import gettext as _

DELETE_GROUP_QUESTION = (
    "The group %(name)s, its memberships and its role assignments are removed; its members' next tokens no "
    "longer carry it. Tokens already issued keep it until they expire."
)
REMOVE_MEMBER_QUESTION = "%(member)s leaves %(group)s, and the roles held through it."
GROUP_NAME = form_model.FormField("name", "New group", maxlength=255)
MESSAGES = {"created": "The group was created.", "member_added": "The member was added.",
            "member_removed": "The member was removed.", "group_added": "The group was put inside this one.",
            "group_removed": "The group was taken out of this one."}


@bp.get("/groups")
def groups(form: GroupForm | None = None, errors: dict | None = None):
    """Groups whose name holds ?q= (idp/admin/console/listing.py), by name, and the form to create one
    (again with what was typed and why it was refused)."""
    return render_template("admin/groups.html", listing=searched(group_admin().list, "groups"),
                           form=form or GroupForm(), errors=errors or {}, group_field=GROUP_NAME), \
        400 if errors else 200


@bp.post("/groups")
def group_create():
    form = GroupForm()
    if not form.validate_on_submit():
        abort(400, _("The group was not created: its name is too long."))
    try:
        with refusals():
            created = group_admin().create(actor(g.admin), {"name": form.name.data or ""})
    except Refused as refused:
        errors = form_model.field_errors(refused.reasons, [GROUP_NAME])
        return groups(form, {name: _(why) for name, why in errors.items()})
    return redirect(back(created, "created"))


def target_group(group_id: str):
    return found_or_404(group_admin().get, group_id, _("There is no such group."))


@bp.get("/groups/<group_id>")
def group_page(group_id: str):
    group = target_group(group_id)
    after = cursor_from_request()
    members = keyset_page(group_admin().members, after, PAGE_SIZE, group.id)
    nested_after = cursor_from_request("groups_after")
    nested = keyset_page(group_admin().nested, nested_after, PAGE_SIZE, group.id)
    return render_template("admin/group.html", group=group, members=members.items, first_page=after is None,
                           next_cursor=cursor_link(members.next_key), nested=nested.items,
                           nested_next=cursor_link(nested.next_key), nested_first=nested_after is None,
                           form=ActionForm(), version=group_version(group), held=holdings.of_group(group.id),
                           message=_(MESSAGES[request.args["done"]]) if request.args.get("done") in MESSAGES else None)


def back(group, done: str | None = None) -> str:
    """The group's page (with what was done: its message)."""
    return url_for("admin.group_page", group_id=group.id, done=done)


@bp.post("/groups/<group_id>/members")
def group_member_add(group_id: str):
    group = target_group(group_id)
    submitted()
    return attempt(lambda: group_admin().add_member(actor(g.admin), group.id, user_named(form_text("email", 320)).id),
                   back(group), back(group, "member_added"))


def removal(group, work, what: str, member: str, field: str):
    return confirmed_then(work, back=back(group), done=back(group, what), title=_("Remove %(member)s?", member=member),
                          question=_(REMOVE_MEMBER_QUESTION, member=member, group=group.name), button=_("Remove"),
                          fields={field: member})


@bp.post("/groups/<group_id>/members/remove")
def group_member_remove(group_id: str):
    group, email = target_group(group_id), form_text("email", 320)
    return removal(group, lambda: group_admin().remove_member(actor(g.admin), group.id, user_named(email).id),
                   "member_removed", email, "email")


@bp.post("/groups/<group_id>/groups")
def group_nested_add(group_id: str):
    group = target_group(group_id)
    submitted()
    return attempt(lambda: group_admin().add_group(actor(g.admin), group.id, group_named(form_text("group")).id),
                   back(group), back(group, "group_added"))


@bp.post("/groups/<group_id>/groups/remove")
def group_nested_remove(group_id: str):
    group, child = target_group(group_id), form_text("group")
    return removal(group, lambda: group_admin().remove_group(actor(g.admin), group.id, group_named(child).id),
                   "group_removed", child, "group")


@bp.post("/groups/<group_id>/delete")
def group_delete(group_id: str):
    group, version = target_group(group_id), request.form.get("version", "")[:64]
    return confirmed_then(lambda: group_admin().delete(actor(g.admin), group.id, version or "-"), back=back(group),
                          done=url_for("admin.groups"), title=_("Delete the group %(name)s?", name=group.name),
                          question=_(DELETE_GROUP_QUESTION, name=group.name), button=_("Delete the group"),
                          fields={"version": version})
