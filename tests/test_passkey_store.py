"""Rules a stored passkey keeps (idp/store/passkeys.py), on the real databases: the signature
counter never goes back (WebAuthn L3 6.1.1, 7.2 step 21), backup eligibility is fixed for a
credential's life and backed up implies eligible (L3 6.1.3), credential ids are unique
(L3 7.1 step 26), user handles are random and never the account id (L3 14.6.1); and the IdP
turns passkeys off, saying so, when the issuer's host is an IP address (L3 5.1.4.1, 13.4.9)."""

from __future__ import annotations

import logging
import secrets

import pytest

from idp.accounts.passkeys import amr_for, rp_id_for
from idp.store.errors import Conflict
from idp.store.passkeys import CounterRegressed

from .passkey_flows import pk_idp  # noqa: F401


def new_passkey(idp, user_id, sign_count=0, backup_eligible=False, backed_up=False):
    return idp.services.passkeys.credentials.add(user_id, secrets.token_bytes(16), b"cose-key", sign_count,
                                                 ["internal"], backup_eligible, backed_up, "0" * 8 + "-0000-0000-0000-"
                                                 + "0" * 12, "Key")


def test_the_counter_must_increase_and_two_uses_of_one_counter_cannot_both_win_l3_6_1_1(pk_idp):
    repo = pk_idp.services.passkeys.credentials
    user = pk_idp.create_user()
    passkey = new_passkey(pk_idp, user.id, sign_count=5)
    repo.record_use(passkey, 6, backup_eligible=False, backed_up=False)
    with pytest.raises(CounterRegressed):
        repo.record_use(passkey, 6, backup_eligible=False, backed_up=False)  # replayed counter (another replica)
    with pytest.raises(CounterRegressed):
        repo.record_use(passkey, 3, backup_eligible=False, backed_up=False)  # went back: a clone?
    with pytest.raises(CounterRegressed):
        repo.record_use(passkey, 0, backup_eligible=False, backed_up=False)  # a counter that stops counting
    assert repo.by_credential_id(passkey.credential_id).sign_count == 6


def test_authenticators_without_a_counter_send_zero_every_time(pk_idp):
    repo = pk_idp.services.passkeys.credentials
    passkey = new_passkey(pk_idp, pk_idp.create_user().id, backup_eligible=True, backed_up=True)
    for _ in range(3):
        repo.record_use(passkey, 0, backup_eligible=True, backed_up=True)
    assert repo.by_credential_id(passkey.credential_id).last_used_at is not None


def test_backup_flags_backed_up_needs_eligible_and_eligibility_never_changes_l3_6_1_3(pk_idp):
    repo = pk_idp.services.passkeys.credentials
    user = pk_idp.create_user()
    with pytest.raises(ValueError):
        new_passkey(pk_idp, user.id, backup_eligible=False, backed_up=True)
    bound = new_passkey(pk_idp, user.id)
    with pytest.raises(ValueError):
        repo.record_use(bound, 1, backup_eligible=True, backed_up=True)
    synced = new_passkey(pk_idp, user.id, backup_eligible=True, backed_up=False)
    repo.record_use(synced, 0, backup_eligible=True, backed_up=True)  # the backup state may change
    assert repo.by_credential_id(synced.credential_id).backed_up is True
    assert amr_for(bound, True, False) == ["hwk", "user"] and amr_for(synced, False, True) == ["pwd", "swk", "mfa"]


def test_a_credential_id_is_registered_once_l3_7_1_step_26(pk_idp):
    repo = pk_idp.services.passkeys.credentials
    first = new_passkey(pk_idp, pk_idp.create_user().id)
    with pytest.raises(Conflict):
        repo.add(pk_idp.create_user().id, first.credential_id, b"k", 0, [], False, False, first.aaguid, "Mine")


def test_removal_one_then_the_last_and_only_the_owners(pk_idp):
    repo = pk_idp.services.passkeys.credentials
    owner, other = pk_idp.create_user(), pk_idp.create_user()
    one, two = new_passkey(pk_idp, owner.id), new_passkey(pk_idp, owner.id)
    assert not repo.remove(other.id, one.id)  # someone else's passkey id is not removable
    assert repo.remove(owner.id, one.id) and repo.count(owner.id) == 1
    assert repo.remove(owner.id, two.id) and repo.count(owner.id) == 0 and not repo.remove(owner.id, two.id)
    new_passkey(pk_idp, owner.id)
    new_passkey(pk_idp, owner.id)
    assert repo.remove_all(owner.id) == 2 and repo.for_user(owner.id) == []


def test_user_handles_are_random_stable_and_not_the_account_id_l3_14_6_1(pk_idp):
    repo = pk_idp.services.passkeys.credentials
    user = pk_idp.create_user()
    handle = repo.user_handle(user.id)
    assert len(handle) == 32 and repo.user_handle(user.id) == handle
    assert user.id.encode() not in handle and user.email.encode() not in handle
    assert repo.user_for_handle(handle) == user.id and repo.user_handle(pk_idp.create_user().id) != handle


def test_an_ip_address_issuer_turns_passkeys_off_and_says_so_at_start(idp, caplog, tmp_path):
    assert rp_id_for("http://127.0.0.1:3001") is None and rp_id_for("https://[::1]") is None
    assert rp_id_for("https://login.example.com") == "login.example.com"
    assert rp_id_for("http://localhost:8080") == "localhost"
    from idp.app import create_app
    from idp.config import Config
    from idp.store.migrate import upgrade

    url = f"sqlite:///{tmp_path}/idp.sqlite"
    upgrade(url)
    with caplog.at_level(logging.WARNING, logger="idp"):
        app = create_app(Config(issuer="http://127.0.0.1:3999", database_url=url, session_secret=secrets.token_urlsafe(32),
                                key_encryption_key=secrets.token_urlsafe(32)))
    app.extensions["idp"].db.dispose()
    assert any("passkeys are off" in r.getMessage() and "IP address" in r.getMessage() for r in caplog.records)
    page = __import__("requests").get(idp.endpoint("/login"), timeout=5).text
    assert "data-passkey" not in page and 'autocomplete="username"' in page
