"""No unbounded per-user state (issue 16, docs/retention.md): a user with thousands of sessions or
grants cannot make sign-in, `idp users disable` or the account page slow. Sessions are capped
(MAX_SESSIONS_PER_USER, the oldest ended at sign-in); revoking every grant of a user is a fixed
number of statements and one Redis pipeline however many grants there are. Counted, never timed."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import event, func, insert, select

from idp.signin.sessions import MAX_SESSIONS_PER_USER, index_key
from idp.store.models import RefreshToken, Revocation, utcnow

from .conftest import Browser
from .flows import sign_in

GRANTS = 10_000


def seed_sessions(store, user_id: str, count: int) -> list[str]:
    """`count` signed-in sessions of the user, as a backlog left before the cap existed."""
    sids = [uuid.uuid4().hex for _ in range(count)]
    store.set_many([("sess:" + sid, json.dumps({"uid": user_id, "created": 1_000_000 + n}), 3600)
                    for n, sid in enumerate(sids)])
    if hasattr(store, "_redis"):
        pipe = store._redis.pipeline(transaction=False)
        pipe.sadd(store._k(index_key(user_id)), *sids)
        pipe.expire(store._k(index_key(user_id)), 3600)
        pipe.execute()
    else:
        for sid in sids:
            store.sadd(index_key(user_id), sid, 3600)
    return sids


def test_a_sign_in_beyond_the_cap_ends_the_oldest_sessions(idp, user):
    """OpenID Connect Session Management: sessions the IdP keeps are ones it can list and end."""
    store = idp.services.store
    backlog = 10_000 if idp.backend == "postgres" else MAX_SESSIONS_PER_USER + 5
    sids = seed_sessions(store, user.id, backlog)
    assert sign_in(Browser(idp), user.email).status_code in (200, 302, 303)
    assert store.scard(index_key(user.id)) == MAX_SESSIONS_PER_USER
    listed = idp.services.sessions.list(user.id)
    assert len(listed) == MAX_SESSIONS_PER_USER  # what the account page shows
    kept = set(store.smembers(index_key(user.id)))
    assert set(sids[-(MAX_SESSIONS_PER_USER - 1):]) <= kept  # the newest stay, with the new one
    assert store.get("sess:" + sids[0]) is None  # the oldest ended
    with idp.app.app_context():
        assert idp.services.sessions.end_all(user.id) == MAX_SESSIONS_PER_USER  # `users disable`: bounded too


class StatementCounter:
    def __init__(self, *engines):
        self.count = 0
        self.engines = engines

    def __enter__(self):
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._seen)
        return self

    def _seen(self, *args):
        self.count += 1

    def __exit__(self, *exc):
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._seen)


def test_revoking_ten_thousand_grants_is_a_fixed_number_of_statements_rfc7009_2_1(idp, client, user):
    """RFC 7009 2.1: revoking a grant revokes its refresh and access tokens; here all of a user's."""
    if idp.backend != "postgres":
        pytest.skip("one backend is enough for a count of statements")
    expires = utcnow() + dt.timedelta(days=1)
    families = [str(uuid.uuid4()) for _ in range(GRANTS)]
    with idp.services.db.session() as session:
        session.execute(insert(RefreshToken), [dict(token_hash=uuid.uuid4().hex + uuid.uuid4().hex, family_id=f,
                                                    client_id=client.client_id, user_id=user.id, scope="openid",
                                                    auth_time=0, issued_at=utcnow(), expires_at=expires)
                                               for f in families])
    db = idp.services.db
    with StatementCounter(db.engine, db.read_engine) as counter:
        assert idp.services.tokens.revoke_user_grants(user.id) == GRANTS
    assert counter.count <= 2 + GRANTS // 1000 + 1  # active families, one UPDATE, INSERTs of 1000
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(RefreshToken).where(
            RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))) == 0
        assert session.scalar(select(func.count()).select_from(Revocation).where(
            Revocation.id.in_([f"gid:{f}" for f in families[:500]]))) == 500
    assert all(idp.services.store.mget([f"rev:gid:{f}" for f in families[-500:]]))
