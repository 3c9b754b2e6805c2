"""The verifiers of imported password hashes (idp/migration/schemes.py), each at the parameters the
real systems use: bcrypt at the replaced service's BCRYPT_SALT_ROUNDS=12, Keycloak's PBKDF2
(pbkdf2-sha256 at 27,500 and pbkdf2-sha512 at 210,000 iterations), argon2, scrypt, and Firebase's
modified scrypt with the published test vector of github.com/firebase/scrypt."""

from __future__ import annotations

import hashlib

import bcrypt
import pytest
from argon2 import PasswordHasher, Type

from idp.migration import passwords, schemes
from idp.migration.records import RecordError, to_record

PASSWORD = "correct horse battery staple"
FIREBASE = ("$firebase-scrypt$ln=14,r=8$Bw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmY"
            "USDzZvpjeJ9WmXA==$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZ"
            "ilo78198JAdRuid5lQ==")


def pbkdf2(name: str, iterations: int, password=PASSWORD, length=64) -> str:
    salt = b"keycloak-salt-16"
    digest = hashlib.pbkdf2_hmac(name, password.encode(), salt, iterations, length)
    return f"$pbkdf2-{name}$i={iterations}${schemes.b64encode(salt)}${schemes.b64encode(digest)}"


@pytest.mark.parametrize("prefix", ["2a", "2b", "2y"])
def test_bcrypt_cost_12_of_the_replaced_service_verifies_each_prefix(prefix):
    stored = "$" + prefix + bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(12)).decode()[3:]
    assert schemes.check(stored) == stored and schemes.scheme_of(stored) == "bcrypt"
    assert schemes.verify(PASSWORD, stored)
    assert not schemes.verify(PASSWORD + "!", stored)


def test_bcrypt_reads_72_bytes_as_the_systems_that_made_the_hashes():
    long = "é" * 40  # 80 bytes in UTF-8
    stored = bcrypt.hashpw(long.encode()[:72], bcrypt.gensalt(4)).decode()
    assert schemes.verify(long, stored) and schemes.verify(long + "ignored", stored)


@pytest.mark.parametrize("name,iterations", [("sha256", 27_500), ("sha512", 210_000), ("sha1", 20_000)])
def test_keycloak_pbkdf2_at_its_default_iterations(name, iterations):
    stored = pbkdf2(name, iterations)
    assert schemes.check(stored) == stored and schemes.scheme_of(stored) == f"pbkdf2-{name}"
    assert schemes.verify(PASSWORD, stored) and not schemes.verify("wrong", stored)


@pytest.mark.parametrize("kind", [Type.I, Type.ID])
def test_argon2i_and_argon2id_of_another_system(kind):
    stored = PasswordHasher(time_cost=3, memory_cost=7168, type=kind).hash(PASSWORD)
    assert schemes.check(stored) == stored
    verdict = passwords.check(stored, PASSWORD)
    assert verdict.ok and verdict.upgrade  # other parameters than the IdP's: replaced at sign-in
    assert not passwords.check(stored, "wrong").ok


def test_scrypt_phc_string():
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=64)
    stored = f"$scrypt$ln=14,r=8,p=1${schemes.b64encode(salt)}${schemes.b64encode(digest)}"
    assert schemes.verify(PASSWORD, stored) and not schemes.verify("wrong", stored)


def test_firebase_modified_scrypt_published_test_vector():
    assert schemes.check(FIREBASE) == FIREBASE
    assert schemes.verify("user1password", FIREBASE)
    assert not schemes.verify("user2password", FIREBASE)


def test_salted_digests_only_with_allow_weak_hashes():
    salt = b"s4lt"
    stored = f"$salted-sha256$pos=prefix${schemes.b64encode(salt)}$" \
             f"{schemes.b64encode(hashlib.sha256(salt + PASSWORD.encode()).digest())}"
    with pytest.raises(schemes.UnsupportedHash, match="allow-weak-hashes"):
        schemes.check(stored)
    assert schemes.check(stored, allow_weak=True) == stored
    assert schemes.verify(PASSWORD, stored) and not schemes.verify("wrong", stored)


@pytest.mark.parametrize("value,reason", [
    ("$md4$abc$def", "unknown hash scheme"),
    ("plaintext-password", "not a recognised hash"),
    ("$2b$03$" + "a" * 53, "bcrypt"),
    ("$pbkdf2-sha256$i=0$c2FsdA$" + "A" * 43, "outside"),
    ("$scrypt$ln=14,r=8,p=1$c2FsdA$!!!", "base64"),
])
def test_malformed_or_unknown_hashes_are_refused_with_the_reason(value, reason):
    with pytest.raises(RecordError, match=reason):
        to_record({"email": "a@example.com", "password": value})


def test_the_idps_own_argon2id_is_not_upgraded_and_an_unknown_user_still_costs_a_verification():
    from idp.plumbing.security import hash_password

    native = hash_password(PASSWORD)
    assert passwords.check(native, PASSWORD) == passwords.Verdict(True, False)
    assert passwords.check(None, PASSWORD) == passwords.Verdict(False, False)
