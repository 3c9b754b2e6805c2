"""Browser sessions kept in the ephemeral store (Redis), behind a signed cookie.

The cookie holds only a random id, signed so a forged id costs no store lookup.
Flask's own cookie session would put the data in the browser and could not be
ended server-side, so we plug a SessionInterface in (Flask's documented hook).
"""

from __future__ import annotations

import json
import time

from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, Signer
from werkzeug.datastructures import CallbackDict

from .security import random_token

COOKIE_NAME = "idp_session"
SESSION_INDEX = "sessions"  # signed-in session ids, so active_sessions_total is a count and not a key scan


def count_active_sessions(store) -> int:
    return store.index_count(SESSION_INDEX)


class StoreSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None):
        def on_update(_self):
            _self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
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
        self.ttl = ttl
        self.secure = secure

    def open_session(self, app, request):
        cookie = request.cookies.get(COOKIE_NAME)
        if cookie:
            try:
                sid = self.signer.unsign(cookie).decode()
            except BadSignature:
                sid = None
            if sid:
                raw = self.store.get("sess:" + sid)
                if raw:
                    return StoreSession(json.loads(raw), sid)
        return StoreSession()

    def save_session(self, app, session: StoreSession, response):
        if not session.modified:
            return
        if not session:
            if session.sid:
                self._forget(session.sid)
                response.delete_cookie(COOKIE_NAME, path="/", secure=self.secure, httponly=True, samesite="Lax")
            return
        if session.sid and session.rotate:
            self._forget(session.sid)
        if not session.sid or session.rotate:
            session.sid = random_token(32)
        session.setdefault("created", int(time.time()))
        self.store.set("sess:" + session.sid, json.dumps(dict(session)), self.ttl)
        if session.user_id:  # a visit to the login page is not an active session
            self.store.index_add(SESSION_INDEX, session.sid, self.ttl)
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

    def _forget(self, sid: str) -> None:
        self.store.delete("sess:" + sid)
        self.store.index_remove(SESSION_INDEX, sid)
