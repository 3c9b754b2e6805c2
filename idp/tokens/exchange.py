"""What a token exchange (RFC 8693) may start from and what it hands on: the subject and actor
tokens this IdP accepts, the `act` chain (RFC 8693 4.1), the `may_act` rule (4.4) and the
lifetime bound. The protocol (parameters, errors, issuance) is idp/oauth/grants/token_exchange.py.

No library does this part: authlib ships an empty rfc8693 package, and the rules below are this
server's policy over its own tokens (the checks themselves reuse TokenService.validate_access_token,
the exact check introspection makes: signature, typ, issuer, expiry, revocation).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time

from idp.tokens.keys import InvalidJWT
from idp.tokens.subjects import user_id_for

ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
REFRESH_TOKEN = "urn:ietf:params:oauth:token-type:refresh_token"
JWT = "urn:ietf:params:oauth:token-type:jwt"  # RFC 8693 3: any JWT; ours are access tokens or ID tokens
MAX_CHAIN = 8  # nested act claims kept: a longer chain is refused rather than a token growing without bound


class Unacceptable(Exception):
    """A subject or actor token that is invalid or refused by policy (RFC 8693 2.2.2: invalid_request)."""


@dataclasses.dataclass(frozen=True)
class Subject:
    """The user a subject token stands for, and what of its grant an exchange may carry on."""

    user_id: str
    client_id: str  # the client the subject token was issued to (an ID token: its audience)
    scope: frozenset  # what the subject token holds (empty for an ID token)
    grant_id: str | None  # the user's grant: revoking it reaches the exchanged tokens (gid)
    auth_time: int | None
    expires_at: int
    act: dict | None  # the chain so far (RFC 8693 4.1)
    may_act: dict | None  # RFC 8693 4.4


@dataclasses.dataclass(frozen=True)
class Actor:
    sub: str


class Exchanges:
    """Reads subject and actor tokens for an exchange requested by `requester` (a client)."""

    def __init__(self, svc):
        self.svc = svc

    def subject(self, value: str, token_type: str, requester: str) -> Subject:
        if token_type == JWT:  # clients that name the format, not the kind: the JWT's typ tells
            token_type = ACCESS_TOKEN if _header_typ(value) == "at+jwt" else ID_TOKEN
        if token_type == ACCESS_TOKEN:
            return self._access_subject(value, requester)
        if token_type == ID_TOKEN:
            return self._id_token_subject(value, requester)
        if token_type == REFRESH_TOKEN:
            raise Unacceptable("A refresh token is never a subject token: send an access token.")
        raise Unacceptable(f"Unsupported subject_token_type {token_type!r} (RFC 8693 3).")

    def _access_subject(self, value: str, requester: str) -> Subject:
        token = self.svc.tokens.validate_access_token(value)
        if token is None or token.revoked:
            raise Unacceptable("The subject token is invalid, expired or revoked.")
        claims = token.claims
        if not claims.get("gid"):
            raise Unacceptable("The subject token does not stand for a user (a client's own token).")
        if claims.get("client_id") != requester and not self._serves_audience(requester, claims.get("aud")):
            raise Unacceptable("The subject token was issued neither to this client nor for an API it serves.")
        user_id = user_id_for(self.svc, self.svc.clients.get(claims.get("client_id")), claims.get("sub"))
        if not user_id:
            raise Unacceptable("The subject token's user is unknown.")
        return Subject(user_id, claims["client_id"], frozenset(str(claims.get("scope", "")).split()), claims["gid"],
                       claims.get("auth_time"), claims["exp"], _dict_or_none(claims.get("act")),
                       _dict_or_none(claims.get("may_act")))

    def _id_token_subject(self, value: str, requester: str) -> Subject:
        """An ID token this IdP issued, for a front end handing its user to a back end: only when its
        audience is the requesting client, or a client allowed an API the requester serves."""
        if not value or value.count(".") != 2 or len(value) > 8192:
            raise Unacceptable("The subject token is not an ID token of this server.")
        try:
            claims = self.svc.keys.verify(value, typ="jwt")  # an access token (at+jwt) is not an ID token
        except InvalidJWT:
            raise Unacceptable("The subject token is not an ID token of this server.") from None
        exp = claims.get("exp")
        if claims.get("iss") != self.svc.config.issuer or not isinstance(exp, int) or exp <= time.time():
            raise Unacceptable("The ID token is expired or not from this issuer.")
        aud = claims.get("aud")
        audience = [a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str)]
        front = next((a for a in audience if a == requester or self._acts_for(requester, a)), None)
        if front is None:
            raise Unacceptable("The ID token is for a client this client may not act for.")
        user_id = user_id_for(self.svc, self.svc.clients.get(front), str(claims.get("sub")))
        if not user_id:
            raise Unacceptable("The ID token's user is unknown.")
        if claims.get("sid") and claims["sid"] not in self.svc.sessions.sids_at(user_id, front):
            # an ID token has no grant to revoke: its sign-in session must still be live (logout ends it)
            raise Unacceptable("The ID token's session has ended.")
        return Subject(user_id, front, frozenset(), None, claims.get("auth_time"), exp, None,
                       _dict_or_none(claims.get("may_act")))

    def actor(self, value: str, token_type: str, requester: str) -> Actor:
        """The calling service's own token (client_credentials): issued to the requester, for no user."""
        if token_type not in (ACCESS_TOKEN, JWT):
            raise Unacceptable("actor_token_type must be urn:ietf:params:oauth:token-type:access_token.")
        token = self.svc.tokens.validate_access_token(value)
        if token is None or token.revoked:
            raise Unacceptable("The actor token is invalid, expired or revoked.")
        claims = token.claims
        if claims.get("client_id") != requester or claims.get("gid") or claims.get("sub") != requester:
            raise Unacceptable("The actor token must be this client's own token (client_credentials).")
        return Actor(claims["sub"])

    def _serves_audience(self, requester: str, aud) -> bool:
        audience = set(aud if isinstance(aud, list) else [aud])
        return bool(audience & set(self.svc.authorization.served_by(requester)))

    def _acts_for(self, requester: str, front: str) -> bool:
        """A back end acts for a front end when the front end is allowed an API the back end serves
        (the registry already says so: no separate setting to keep in step)."""
        served = set(self.svc.authorization.served_by(requester))
        return bool(served) and any(a["identifier"] in served for a in self.svc.authorization.client_apis(front))


def check_may_act(subject: Subject, acting: str, issuer: str) -> None:
    """RFC 8693 4.4: when the subject token names who may act for it, only that party may."""
    if subject.may_act is None:
        return
    if subject.may_act.get("sub") != acting or subject.may_act.get("iss", issuer) != issuer:
        raise Unacceptable("The subject token's may_act does not name this actor (RFC 8693 4.4).")


def act_claim(subject: Subject, actor: Actor | None) -> dict | None:
    """RFC 8693 4.1: the current actor outermost, the earlier chain nested inside it. Without an
    actor (impersonation) the chain the subject already carried is kept, never dropped."""
    if actor is None:
        return subject.act
    act = {"sub": actor.sub}
    if subject.act:
        if _depth(subject.act) >= MAX_CHAIN:
            raise Unacceptable(f"The delegation chain is longer than {MAX_CHAIN} actors.")
        act["act"] = subject.act
    return act


def bounded_ttl(ttl: int, subject: Subject) -> int:
    """The exchanged token never outlives the subject token (and so the grant it came from)."""
    remaining = subject.expires_at - int(time.time())
    if remaining <= 0:
        raise Unacceptable("The subject token is expired.")
    return min(ttl, remaining)


def chain_of(act: dict | None) -> list[str]:
    """The actors, current first (for the audit trail)."""
    out = []
    while isinstance(act, dict) and len(out) < MAX_CHAIN + 1:
        out.append(str(act.get("sub")))
        act = act.get("act")
    return out


def _depth(act: dict) -> int:
    return len(chain_of(act))


def _header_typ(value: str) -> str:
    """The JOSE header's typ, unverified (it only picks which verification follows)."""
    try:
        header = json.loads(base64.urlsafe_b64decode(value.split(".", 1)[0] + "=="))
    except (ValueError, TypeError, UnicodeDecodeError):
        return ""
    return str(header.get("typ", "")).lower() if isinstance(header, dict) else ""


def _dict_or_none(value) -> dict | None:
    return value if isinstance(value, dict) else None
