"""`idp users roles|groups`, `idp groups roles`, `idp apis role-holders` and the lists' --query (issue 34),
run as an operator would (a subprocess) on both backends' data: the same reads as the admin API
(one service, idp/administration/holdings.py), clear errors, no trace."""

from __future__ import annotations

import json

from tests.apis_helpers import uid
from tests.test_apis_cli import ok, refused


def test_who_holds_what_from_the_command_line_rfc9068_2_2_3_1(idp):
    ident, outer, inner = f"https://held-{uid()}.example.com/", f"org-{uid()}", f"team-{uid()}"
    user, other = idp.create_user(), idp.create_user()
    ok(idp, "apis", "create", "--identifier", ident, "--name", "Held API", "--scope", "h:read")
    for args in (("roles", "create", "--api", ident, "--name", "reader", "--scope", "h:read"),
                 ("roles", "create", "--api", ident, "--name", "writer"),
                 ("groups", "create", outer), ("groups", "create", inner),
                 ("groups", "add-member", outer, "--group", inner),
                 ("groups", "add-member", inner, "--email", user.email),
                 ("roles", "assign", "--api", ident, "--name", "reader", "--group", outer),
                 ("roles", "assign", "--api", ident, "--name", "writer", "--email", user.email),
                 ("roles", "assign", "--api", ident, "--name", "reader", "--email", other.email)):
        ok(idp, *args)

    lines = ok(idp, "users", "roles", user.email).splitlines()
    assert lines == [f"{ident}  reader  from: group {outer} (via {inner})", f"{ident}  writer  from: direct"]
    as_json = [json.loads(line) for line in ok(idp, "users", "roles", user.id, "--json").splitlines()]
    assert as_json[0]["sources"] == [{"kind": "group", "group": outer, "group_id": as_json[0]["sources"][0]["group_id"],
                                      "via": [inner]}]
    assert ok(idp, "users", "groups", user.email).splitlines() == [f"{outer}  via {inner}", f"{inner}  direct"]
    assert ok(idp, "groups", "roles", inner).splitlines() == [f"{ident}  reader  from: group {outer}"]

    holders = ok(idp, "apis", "role-holders", ident, "reader").splitlines()
    expected = sorted([(user.id, f"from: group {outer}"), (other.id, "from: direct")])
    assert [(line.split()[0], line.split("  ")[-1]) for line in holders] == expected
    first = ok(idp, "apis", "role-holders", ident, "reader", "--limit", "1").splitlines()
    rest = ok(idp, "apis", "role-holders", ident, "reader", "--after", first[0].split()[0]).splitlines()
    assert first + rest == holders

    assert "no role" in refused(idp, "apis", "role-holders", ident, "nobody")
    assert "no user" in refused(idp, "users", "roles", "nobody@example.com")
    assert "no group" in refused(idp, "groups", "roles", f"none-{uid()}")


def test_the_lists_find_by_any_part_of_a_name(idp):
    mark = uid()
    user = idp.create_user(email=f"find.{mark}@example.com", name=f"Someone {mark}")
    client, _ = idp.create_client(name=f"App {mark} web")
    ok(idp, "apis", "create", "--identifier", f"https://q-{mark}.example.com/", "--name", f"Q {mark}")
    ok(idp, "groups", "create", f"grp-{mark}-x")
    assert [line.split()[0] for line in ok(idp, "users", "list", "--query", mark.upper()).splitlines()] == [user.id]
    assert [line.split()[0] for line in ok(idp, "clients", "list", "-q", mark).splitlines()] == [client.client_id]
    assert ok(idp, "apis", "list", "-q", mark).startswith(f"https://q-{mark}.example.com/")
    assert ok(idp, "groups", "list", "-q", mark).splitlines() == [f"grp-{mark}-x"]
    assert "printable" in refused(idp, "users", "list", "--query", "x" * 400)
    assert "printable" in refused(idp, "clients", "list", "--query", "x" * 400)
