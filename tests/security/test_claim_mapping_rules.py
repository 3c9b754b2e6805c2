"""The rules of claim mappings (issue 35) without a server: reserved names whatever their case,
the sources a mapping may read (never the password hash, the internal id or another table), a
missing source leaving the claim out, and the token budget (RFC 9068 tokens stay small)."""

from __future__ import annotations

import pytest

from idp.apis.claim_mappings import (
    RESERVED,
    TOKEN_BUDGET,
    InvalidMappings,
    Sources,
    check_mappings,
    mapped_claims,
    mappings_as_lines,
    mappings_from_lines,
)
from idp.store.users import UserView


def user(**kwargs) -> UserView:
    values = dict(id="u1", email="ada@example.com", email_verified=True, name=None, password_hash="$argon2id$x",
                  disabled=False, updated_at=1700000000)
    values.update(kwargs)
    return UserView(**values)


@pytest.mark.parametrize("claim", sorted(RESERVED) + ["SUB", "Aud", "x_overage"])
def test_every_reserved_name_is_refused_in_any_case(claim):
    with pytest.raises(InvalidMappings, match="reserved"):
        check_mappings([{"claim": claim, "from": "groups"}])


@pytest.mark.parametrize("source", ["password_hash", "user.password_hash", "user.id", "user", "app_metadata.",
                                    "app_metadata.a..b", "organization.logo_url", "refresh_tokens", "groups.x",
                                    "app_metadata." + ".".join("k" * 9), None, 3])
def test_only_the_listed_sources_are_readable(source):
    with pytest.raises(InvalidMappings):
        check_mappings([{"claim": "x", "from": source}])


def test_values_pass_through_and_missing_sources_leave_the_claim_out():
    sources = Sources(user(app_metadata={"plan": {"tier": [1, {"a": None}]}, "off": False}), lambda: [],
                      lambda: None)
    mappings = check_mappings([{"claim": "p", "from": "app_metadata.plan"}, {"claim": "off", "from": "app_metadata.off"},
                               {"claim": "n", "from": "user.name"}, {"claim": "g", "from": "groups"},
                               {"claim": "o", "from": "organization.slug"}, {"claim": "u", "from": "user_metadata"},
                               {"claim": "v", "from": "user.email_verified"},
                               {"claim": "gated", "from": "user.email", "scope": "billing"}])
    assert mapped_claims(mappings, sources, "openid") == {"p": {"tier": [1, {"a": None}]}, "off": False, "v": True}
    assert mapped_claims(mappings, sources, "openid billing")["gated"] == "ada@example.com"


def test_a_stored_reserved_mapping_is_still_dropped_at_issuance():
    """A row written around the service (an old import, a hand edit) cannot overwrite a protocol claim."""
    sources = Sources(user(app_metadata={"x": "evil"}), lambda: [])
    assert mapped_claims([{"claim": "sub", "from": "app_metadata.x"}], sources, "") == {}


def test_the_budget_turns_a_large_claim_into_an_overage_marker():
    big = "x" * TOKEN_BUDGET
    sources = Sources(user(app_metadata={"big": big, "small": 1}), lambda: [])
    mappings = [{"claim": "big", "from": "app_metadata.big"}, {"claim": "small", "from": "app_metadata.small"}]
    assert mapped_claims(mappings, sources, "") == {"big_overage": True, "small": 1}
    assert mapped_claims(mappings, sources, "", budget=None) == {"big": big, "small": 1}


def test_the_line_form_round_trips_and_a_bad_line_is_refused():
    mappings = mappings_from_lines("plan=app_metadata.plan\n\n contact = user.email@billing \n")
    assert check_mappings(mappings) == [{"claim": "plan", "from": "app_metadata.plan"},
                                        {"claim": "contact", "from": "user.email", "scope": "billing"}]
    assert mappings_as_lines(check_mappings(mappings)) == "plan=app_metadata.plan\ncontact=user.email@billing"
    with pytest.raises(InvalidMappings):
        check_mappings(mappings_from_lines("no equals sign here"))
