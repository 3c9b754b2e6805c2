"""Browser sessions kept in the ephemeral store (Redis), behind a signed cookie.

The cookie holds only a random id, signed so a forged id costs no store lookup.
Flask's own cookie session would put the data in the browser and could not be
ended server-side, so we plug a SessionInterface in (Flask's documented hook).

A session is stored only when it holds something to keep (a signed-in user, a pending second
factor, a federated flow, a message for the next page): an anonymous visitor who only opens a
form costs the store nothing (issue 30). The form's CSRF secret (Flask-WTF's `csrf_token` session
value) rides instead in a cookie of its own, signed with the session secret: a signed double-submit
cookie (OWASP CSRF Prevention Cheat Sheet). Flask-WTF still puts a signed token derived from it in
every form and refuses a POST whose token does not match the browser's secret; a site that cannot
sign cannot forge the cookie, and with `__Host-` (HTTPS) no sibling host can plant one. Signing in
clears the session, so the secret changes with the privilege, as the session id does.
"""

from __future__ import annotations

import dataclasses
import json
import time

from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, Signer
from werkzeug.datastructures import CallbackDict

from idp.plumbing.headers import JSON_PREFIXES
from idp.plumbing.security import random_token, token_hash

COOKIE_NAME = "idp_session"
CSRF_COOKIE = "idp_csrf"  # "__Host-idp_csrf" over HTTPS (csrf_cookie_name)
CSRF_KEY = "csrf_token"  # the session value Flask-WTF keeps its secret in (WTF_CSRF_FIELD_NAME)
# At most this many signed-in sessions per user (docs/retention.md): a sign-in beyond it ends the
# oldest, so the account page, "sign out everywhere" and `idp users disable` read a bounded set.
MAX_SESSIONS_PER_USER = 100
SESSION_INDEX = "sessions"  # signed-in session ids, so active_sessions_total is a count and not a key scan


def count_active_sessions(store) -> int:
    return store.index_count(SESSION_INDEX)


def index_key(user_id: str) -> str:
    """The set of a user's session ids: what a password reset or "sign out everywhere" ends.

    It may still name sessions that expired on their own; readers drop those.
    """
    return "user-sessions:" + user_id


def csrf_cookie_name(secure: bool) -> str:
    """`__Host-` (RFC 6265bis 4.1.3.2): only this host, over HTTPS, may set it; a sibling cannot plant one."""
    return "__Host-" + CSRF_COOKIE if secure else CSRF_COOKIE


class StoreSession(CallbackDict, SessionMixin):
    """stored: the JSON last stored (None: nothing stored yet); csrf: the browser's CSRF secret."""

    def __init__(self, initial=None, sid: str | None = None, csrf: str | None = None):
        def on_update(_self):
            _self.modified = True

        initial = dict(initial or {})
        stored_csrf = initial.pop(CSRF_KEY, None)  # a session stored before the cookie existed
        self.stored = json.dumps(initial) if sid else None
        if csrf or stored_csrf:
            initial[CSRF_KEY] = csrf or stored_csrf
        super().__init__(initial, on_update)
        self.sid = sid
        self.csrf = csrf
        self.opened_uid = initial.get("uid")
        self.new = sid is None
        self.modified = False
        self.rotate = False

    def regenerate(self) -> None:
        """A new id at every change of privilege (login): prevents session fixation."""
        self.rotate = True
        self.modified = True

    @property
    def user_id(self) -> str | None:
        return self.get("uid")


class StoreSessionInterface(SessionInterface):
    def __init__(self, store, secret: str, ttl: int, secure: bool):
        self.store = store
        self.signer = Signer(secret, salt="idp-session")
        self.csrf_signer = Signer(secret, salt="idp-csrf")
        self.csrf_cookie = csrf_cookie_name(secure)
        self.ttl = ttl
        self.secure = secure

    def _unsign(self, signer: Signer, cookie: str | None) -> str | None:
        try:
            return signer.unsign(cookie).decode() if cookie else None
        except BadSignature:
            return None

    def open_session(self, app, request):
        if request.path.startswith(JSON_PREFIXES):
            return StoreSession()  # endpoints for clients, not browsers: a cookie sent along is not read
        csrf = self._unsign(self.csrf_signer, request.cookies.get(self.csrf_cookie))
        sid = self._unsign(self.signer, request.cookies.get(COOKIE_NAME))
        if sid:
            try:
                raw = self.store.get("sess:" + sid)
            except Exception as exc:
                # Raising here would bypass Flask's error handlers; the app re-raises it in before_request.
                request.environ["idp.session_error"] = exc
                return StoreSession(csrf=csrf)
            if raw:
                return StoreSession(json.loads(raw), sid, csrf)
        return StoreSession(csrf=csrf)

    def save_session(self, app, session: StoreSession, response):
        self._save_csrf(session, response)
        if not session.modified:
            return
        kept = {k: v for k, v in session.items() if k != CSRF_KEY}
        if not kept:  # nothing to keep: no server-side state, and a stored one ends
            if session.sid:
                self._forget(session)
                response.delete_cookie(COOKIE_NAME, path="/", secure=self.secure, httponly=True, samesite="Lax")
            return
        if session.sid and not session.rotate and json.dumps(kept) == session.stored:
            return  # only the CSRF secret changed: it lives in its cookie
        if session.sid and session.rotate:
            self._forget(session)
        if not session.sid or session.rotate:
            session.sid = random_token(32)
        kept.setdefault("created", int(time.time()))
        self.store.set("sess:" + session.sid, json.dumps(kept), self.ttl)
        if session.get("uid"):
            self.store.sadd(index_key(session["uid"]), session.sid, self.ttl)
            self.store.index_add(SESSION_INDEX, session.sid, self.ttl)  # counted for metrics
            if session.rotate and self.store.scard(index_key(session["uid"])) > MAX_SESSIONS_PER_USER:
                UserSessions(self.store).keep_newest(session["uid"], MAX_SESSIONS_PER_USER, session.sid)
        response.set_cookie(
            COOKIE_NAME,
            self.signer.sign(session.sid).decode(),
            max_age=self.ttl,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="Lax",
        )
        response.vary.add("Cookie")

    def _save_csrf(self, session: StoreSession, response) -> None:
        """The CSRF secret Flask-WTF made or dropped (at sign-in, sign-out) goes to or leaves its cookie."""
        csrf = session.get(CSRF_KEY)
        if csrf == session.csrf:
            return
        if csrf:
            response.set_cookie(self.csrf_cookie, self.csrf_signer.sign(csrf).decode(), max_age=self.ttl, path="/",
                                secure=self.secure, httponly=True, samesite="Lax")
        else:
            response.delete_cookie(self.csrf_cookie, path="/", secure=self.secure, httponly=True, samesite="Lax")
        response.vary.add("Cookie")

    def _forget(self, session: StoreSession) -> None:
        self.store.delete("sess:" + session.sid)
        self.store.index_remove(SESSION_INDEX, session.sid)
        if session.opened_uid:
            self.store.srem(index_key(session.opened_uid), session.sid)


@dataclasses.dataclass(frozen=True)
class ActiveSession:
    handle: str  # a hash of the id: the page never shows a session id (it is the cookie's secret)
    created: int
    user_agent: str
    ip: str
    current: bool


class UserSessions:
    """A user's browser sessions, found through their index: list them, end one, end all."""

    def __init__(self, store):
        self.store = store

    def _live(self, user_id: str) -> dict[str, dict]:
        sids = sorted(self.store.smembers(index_key(user_id)))
        values = self.store.mget(["sess:" + sid for sid in sids])
        live, dead = {}, []
        for sid, raw in zip(sids, values, strict=True):
            data = json.loads(raw) if raw else None
            if data and data.get("uid") == user_id:
                live[sid] = data
            else:
                dead.append(sid)
        if dead:
            self.store.srem(index_key(user_id), *dead)
        return live

    def list(self, user_id: str, current_sid: str | None = None) -> list[ActiveSession]:
        sessions = [ActiveSession(handle=token_hash(sid)[:32], created=int(data.get("created") or 0),
                                  user_agent=data.get("ua", ""), ip=data.get("ip", ""), current=sid == current_sid)
                    for sid, data in self._live(user_id).items()]
        return sorted(sessions, key=lambda s: (not s.current, -s.created))

    def sids_at(self, user_id: str, client_id: str) -> list[str]:
        """The OIDC sid of each live session of the user in which the client received an ID token."""
        return [data["sid"] for data in self._live(user_id).values()
                if data.get("sid") and client_id in (data.get("rps") or ())]

    def end(self, user_id: str, handle: str) -> bool:
        for sid, data in self._live(user_id).items():
            if token_hash(sid)[:32] == handle:
                self._end(user_id, {sid: data})
                return True
        return False

    def end_all(self, user_id: str, keep_sid: str | None = None) -> int:
        """End every session of the user (but keep_sid): after a password reset or change."""
        ended = {sid: data for sid, data in self._live(user_id).items() if sid != keep_sid}
        self._end(user_id, ended)
        return len(ended)

    def keep_newest(self, user_id: str, keep: int, current_sid: str) -> int:
        """End the user's oldest sessions beyond `keep` (never current_sid); how many ended."""
        live = self._live(user_id)
        others = sorted((sid for sid in live if sid != current_sid), key=lambda sid: live[sid].get("created") or 0)
        ended = {sid: live[sid] for sid in others[:max(0, len(live) - keep)]}
        # Sessions some relying party saw are ended as any logout (back-channel, audit each); the
        # rest are dropped with one audit event, so even a backlog of thousands is one request's work.
        told = {sid: data for sid, data in ended.items() if data.get("rps")}
        self._end(user_id, told)
        silent = [sid for sid in ended if sid not in told]
        if silent:
            from idp.observability import audit

            self._drop(user_id, silent)
            audit.record("sessions.capped", user_id=user_id, ended=len(silent), kept=keep)
        return len(ended)

    def _end(self, user_id: str, ended: dict[str, dict]) -> None:
        """Remove the sessions and tell their relying parties (Back-Channel Logout 1.0, 2.7)."""
        from idp.signin.logout import end_session_data  # logout needs the app context this module does not

        for data in ended.values():
            end_session_data(data)
        self._drop(user_id, list(ended))

    def _drop(self, user_id: str, sids: list[str]) -> None:
        if sids:
            self.store.delete(*["sess:" + sid for sid in sids])
            self.store.srem(index_key(user_id), *sids)
            self.store.index_remove(SESSION_INDEX, *sids)
