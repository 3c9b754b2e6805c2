"""Token issuance and validation: JWT access tokens (RFC 9068), refresh-token
families (RFC 9700 4.14), authorization codes and revocation.

authlib runs the protocol; this module holds what our tokens are and how
they are stored, so grants and endpoints stay thin.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time

from idp.config import Config
from idp.plumbing.security import random_token, token_hash
from idp.store.ephemeral import EphemeralStore, is_outage
from idp.store.models import new_id, utcnow
from idp.store.refresh_tokens import RefreshGrant, RefreshTokens, Revocations
from idp.tokens.keys import InvalidJWT, KeyManager
from idp.tokens.revocation_cache import LOADED, RevocationCache
from idp.store.feed import Feed

ACCESS_TOKEN_TYP = "at+jwt"
REVOCATIONS_LOADED = LOADED
KEYS_VERSION = "keys:version"


class RevokedGrant(Exception):
    """The grant was revoked while a token request on it was being answered (a raced reuse)."""


@dataclasses.dataclass
class AuthorizationCode:
    """What a code stands for; kept in the ephemeral store under the code's hash."""

    client_id: str
    redirect_uri: str | None
    scope: str
    user_id: str
    auth_time: int
    grant_id: str
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    acr: str | None = None
    amr: list | None = None
    sid: str | None = None
    dpop_jkt: str | None = None  # RFC 9449 10: only a proof from this key may redeem the code
    idp: str | None = None  # upstream provider of a federated sign-in
    resources: list | None = None  # RFC 8707: the APIs the grant covers (token aud)
    organization: str | None = None  # issue 33: the organization (id) the user signed in to

    # authlib's AuthorizationCodeMixin
    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return self.acr

    def get_amr(self):
        return self.amr


@dataclasses.dataclass
class AccessToken:
    """A validated access token, as userinfo and introspection see it."""

    claims: dict
    revoked: bool = False
    raw: str = ""  # the token as presented (a DPoP proof's ath covers it)

    @property
    def scope(self) -> str:
        return self.claims.get("scope", "")

    def get_scope(self):
        return self.scope

    def check_client(self, client):
        return client.client_id == self.claims.get("client_id")

    def is_expired(self):
        return self.claims.get("exp", 0) <= time.time()

    def is_revoked(self):
        return self.revoked


class TokenService:
    def __init__(self, config: Config, keys: KeyManager, store: EphemeralStore,
                 refresh_tokens: RefreshTokens, revocations: Revocations, feed: Feed | None = None):
        """`feed`: this process's mirror of revocations and versions (Redis deployments; None in-process)."""
        self.config = config
        self.feed = feed
        self.keys = keys
        self.store = store
        self.refresh_tokens = refresh_tokens
        self.revocations = revocations
        self.audience = config.issuer
        self._keys_signal: str | None = None
        self.revocation_cache = RevocationCache(store, revocations)
        keys.on_change = self._publish_keys_version

    def _publish_keys_version(self, version: str) -> None:
        """Tell every replica at once that the key set changed (a revoked key must stop verifying now)."""
        try:
            self.store.announce([(KEYS_VERSION, version, 30 * 86400)])
        except Exception:  # Redis down: replicas still see the change within KEY_CACHE_SECONDS
            pass

    # -- authorization codes ------------------------------------------------
    # A code and its reuse marker are taken and set in one transaction: on a Redis Cluster both
    # keys must live in one slot, so the code's hash is their hash tag ({...}).
    @staticmethod
    def _code_keys(code_hash: str) -> tuple[str, str]:
        return "code:{" + code_hash + "}", "code-used:{" + code_hash + "}"

    def save_code(self, code: str, data: AuthorizationCode) -> None:
        # vars(), not dataclasses.asdict(): every field is already JSON (str, int, a list of str), and
        # asdict's deep copy was a visible share of an authorize request.
        self.store.set(self._code_keys(token_hash(code))[0], json.dumps(vars(data)), self.config.code_ttl)

    def redeem_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """Take the code (atomic, one time). A second redemption revokes what the first issued.

        RFC 6749 4.1.2: "If an authorization code is used more than once, the
        authorization server MUST deny the request and SHOULD revoke (when
        possible) all tokens previously issued based on that authorization code."
        The grant id is derived from the code's hash, so the redemption marker needs
        no value and taking the code plus leaving the marker is one round trip.
        """
        key = token_hash(code)
        code_key, used_key = self._code_keys(key)
        raw = self.store.take_and_mark(code_key, used_key, max(self.config.access_token_ttl, self.config.code_ttl))
        if raw is None:
            if self.store.get(used_key):
                self.revoke_grant(grant_id_of(key))
            return None
        data = AuthorizationCode(**json.loads(raw))
        if data.client_id != client_id:
            self.revoke_grant(data.grant_id)
            return None
        return data

    # -- issuance -----------------------------------------------------------
    def access_token(self, client_id: str, subject: str, scope: str, grant_id: str | None = None,
                     auth_time: int | None = None, ttl: int | None = None,
                     dpop_jkt: str | None = None, audience: list | None = None,
                     extra_claims: dict | None = None) -> tuple[str, int]:
        """RFC 9068 2.2: aud is the API (or APIs, RFC 8707 2.2) the token is for, else the issuer;
        extra_claims are the groups/roles/entitlements of RFC 9068 2.2.3.1 (idp/apis/access.py)."""
        now = int(time.time())
        ttl = ttl or self.config.access_token_ttl
        claims = {
            **(extra_claims or {}),
            "iss": self.config.issuer,
            "sub": subject,
            "aud": (audience[0] if len(audience) == 1 else list(audience)) if audience else self.audience,
            "client_id": client_id,
            "iat": now,
            "exp": now + ttl,
            "jti": random_token(16),
            "scope": scope,
        }
        if auth_time:
            claims["auth_time"] = auth_time
        if grant_id:
            claims["gid"] = grant_id  # lets revoking a grant reach its access tokens
        if dpop_jkt:
            claims["cnf"] = {"jkt": dpop_jkt}  # RFC 9449 6.1: bound to the DPoP key
        return self.keys.sign(claims, typ=ACCESS_TOKEN_TYP), ttl

    def refresh_token(self, family_id: str, client_id: str, user_id: str, scope: str, auth_time: int,
                      dpop_jkt: str | None = None, resources: list | tuple = (),
                      organization_id: str | None = None) -> str:
        value = random_token(32)
        self.refresh_tokens.issue(value, family_id, client_id, user_id, scope, auth_time, self.config.refresh_token_ttl,
                                  dpop_jkt, resources, organization_id)
        return value

    def bearer_response(self, client_id: str, subject: str, scope: str, *, user_id: str | None = None,
                        grant_id: str | None = None, auth_time: int | None = None,
                        include_refresh_token: bool = False, dpop_jkt: str | None = None,
                        bind_refresh_token: bool = False, audience: list | None = None, ttl: int | None = None,
                        extra_claims: dict | None = None, resources: list | tuple = (),
                        refresh_scope: str | None = None, organization_id: str | None = None) -> dict:
        """Bearer, or DPoP-bound when dpop_jkt is given (RFC 9449 5: token_type DPoP). The refresh
        token keeps the grant's resources and scope (`refresh_scope`; RFC 8707 2.2, RFC 6749 6),
        whatever this access token was narrowed to."""
        access, ttl = self.access_token(client_id, subject, scope, grant_id, auth_time, ttl, dpop_jkt, audience,
                                        extra_claims)
        token = {"token_type": "DPoP" if dpop_jkt else "Bearer", "access_token": access, "expires_in": ttl,
                 "scope": scope}
        if include_refresh_token and user_id and grant_id:
            token["refresh_token"] = self.refresh_token(grant_id, client_id, user_id, refresh_scope or scope,
                                                        auth_time or int(time.time()),
                                                        dpop_jkt if bind_refresh_token else None, resources,
                                                        organization_id)
            self._refuse_if_revoked_meanwhile(grant_id)
        return token

    def _refuse_if_revoked_meanwhile(self, grant_id: str) -> None:
        """RFC 9700 4.14.2, whatever the interleaving: the successor refresh token is stored (and
        committed) first, then the grant's durable revocation mark is read. revoke_grant writes that
        mark before it revokes the family's rows, so either its sweep sees the successor, or this
        read sees the mark and the successor is revoked here and never handed out (a Dekker-style
        handshake through the database; no lock is held across token signing)."""
        if self.revocations.any_active([f"gid:{grant_id}"]):
            self.refresh_tokens.revoke_family(grant_id)
            raise RevokedGrant(grant_id)

    # -- refresh rotation ---------------------------------------------------
    def find_refresh(self, value: str) -> RefreshGrant | None:
        return self.refresh_tokens.find(value)

    def consume_refresh(self, grant: RefreshGrant) -> bool:
        """Rotate: True once. A rotated token presented again revokes its whole family."""
        if grant.revoked:
            return False
        if grant.rotated or not self.refresh_tokens.mark_rotated(grant):
            self.revoke_grant(grant.family_id)
            return False
        return True

    # -- revocation ---------------------------------------------------------
    # Order matters (RFC 9700 4.14.2): the durable mark of the grant first, then the family's refresh
    # tokens, then the cache every replica reads. A rotation racing this stores its successor before
    # it reads the mark (_refuse_if_revoked_meanwhile), so no successor outlives the revocation.
    def revoke_grant(self, grant_id: str) -> None:
        """Revoke every refresh token of a family and every access token it issued."""
        self._revoke_many("gid", [grant_id], self.config.access_token_ttl,
                          between=lambda: self.refresh_tokens.revoke_family(grant_id))

    def revoke_user_grants(self, user_id: str) -> int:
        """Revoke every refresh-token family of a user (and their access tokens): a password reset.
        Families in the middle of a rotation are among those listed (their presented token is
        rotated, not revoked), so the handshake above covers them too."""
        families = self.refresh_tokens.active_families(user_id)
        # A fixed number of round trips however many grants the user holds (docs/retention.md).
        self._revoke_many("gid", families, self.config.access_token_ttl,
                          between=lambda: self.refresh_tokens.revoke_user(user_id))
        return len(families)

    def revoke_access_token(self, claims: dict) -> None:
        remaining = int(claims.get("exp", 0) - time.time())
        if remaining > 0 and claims.get("jti"):
            self._revoke("jti", claims["jti"], remaining)

    def _revoke(self, kind: str, ident: str, ttl: int) -> None:
        self._revoke_many(kind, [ident], ttl)

    def _revoke_many(self, kind: str, idents: list[str], ttl: int, between=None) -> None:
        """Durable first (survives a Redis loss), then `between` (the refresh-token rows), then the
        shared cache every replica reads (one pipeline)."""
        if idents:
            self.revocations.add_many([f"{kind}:{ident}" for ident in idents], kind,
                                      utcnow() + dt.timedelta(seconds=ttl + 60))
        if between is not None:
            between()
        if idents:
            self.store.announce([(f"rev:{kind}:{ident}", "1", ttl + 60) for ident in idents])

    def revocation_state(self, claims: dict) -> tuple[bool, str | None]:
        """(revoked?, the key-set version every replica last published): from this process's feed
        while it is confirmed live (no round trip), else in one round trip to Redis."""
        keys = [REVOCATIONS_LOADED, KEYS_VERSION, "rev:jti:" + str(claims.get("jti"))]
        if claims.get("gid"):
            keys.append("rev:gid:" + str(claims["gid"]))
        if self.feed is not None and self.feed.live():
            values = self.feed.mget(keys[1:])
            return any(values[1:]), values[0]
        try:
            values = self.store.mget(keys)
        except Exception as exc:
            if not is_outage(exc):
                raise
            # Redis is down: the durable list answers (slower, but a revoked token stays revoked).
            return self._durably_revoked(keys[2:]), None
        if values[0] is None:
            # The cache was lost or never filled: rebuilt off the request path; until then the
            # durable list answers (one primary-key lookup), so no revocation is missed meanwhile.
            self.revocation_cache.rebuild_in_background()
            return self._durably_revoked(keys[2:]), values[1]
        return any(values[2:]), values[1]

    def _durably_revoked(self, cache_keys: list[str]) -> bool:
        return self.revocations.any_active([key.removeprefix("rev:") for key in cache_keys])

    # -- validation ---------------------------------------------------------
    def validate_access_token(self, value: str) -> AccessToken | None:
        """Signature, typ, issuer and expiry; None when any fails. Revocation is reported, not hidden."""
        if not value or value.count(".") != 2 or len(value) > 8192:
            return None
        try:
            claims = self.keys.verify(value, typ=ACCESS_TOKEN_TYP)
        except InvalidJWT:
            return None
        if claims.get("iss") != self.config.issuer or not isinstance(claims.get("exp"), int):
            return None
        token = AccessToken(claims, raw=value)
        if token.is_expired():
            return None
        token.revoked, keys_version = self.revocation_state(claims)
        if keys_version and keys_version != self._keys_signal:
            # Another replica changed the key set (e.g. revoked a key): reload before trusting the signature.
            self._keys_signal = keys_version
            self.keys.reload(force=True)
            try:
                self.keys.verify(value, typ=ACCESS_TOKEN_TYP)
            except InvalidJWT:
                return None
        return token


def new_grant_id() -> str:
    """A fresh grant (refresh-token family) id, for grants that start without a code (device)."""
    return new_id()


def grant_id_of(code_hash: str) -> str:
    """The grant a code starts: named after the code's hash (not reversible to the code)."""
    return "g-" + code_hash[:34]
