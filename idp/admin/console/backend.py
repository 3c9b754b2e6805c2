"""The one place the console reaches the domain and the storage below it.

Every page calls these functions and nothing else. Users, clients, keys, administrators,
registration tokens, the mail outbox and the audit trail go through the administration service
layer (idp/administration: UserAdmin, ClientAdmin, KeyAdmin, AdministratorAdmin,
RegistrationTokenAdmin, MailAdmin, AuditAdmin: the services the admin API calls), which
validates, audits and names the acting administrator (`actor`); what it has no operation for
(ending a user's sessions, revoking one grant, the overview's counts, the console's own client)
is done here, audited the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from idp.accounts.connected_apps import revoke_app
from idp.administration import Actor, Invalid, NotFound, Page
from idp.administration.administrators import AdministratorAdmin
from idp.administration.audit import AuditAdmin
from idp.administration.clients import ClientAdmin, client_version  # noqa: F401  (what an edit page sends back)
from idp.administration.keys import KeyAdmin, TooEarly  # noqa: F401  (TooEarly: what rotate_key raises)
from idp.administration.mail import MailAdmin, MailStatus
from idp.administration.registration_tokens import RegistrationTokenAdmin
from idp.administration.user_access import UserAccess
from idp.administration.users import UserAdmin
from idp.oauth.client_metadata import client_admin
from idp.observability import audit
from idp.plumbing.context import services
from idp.plumbing.security import hash_client_secret, random_token
from idp.signin.sessions import count_active_sessions
from idp.store.admin_queries import AdminQueries

SIGN_IN_ACTIONS = ("login.succeeded", "login.failed")


def _queries() -> AdminQueries:
    return AdminQueries(services().db)


def _page(list_page, after: list | None, limit: int, **filters) -> Page:
    """A keyset page of a service's list; a cursor that is not one of this list starts again at the
    first page (the console's links only ever carry the cursors it handed out)."""
    try:
        return list_page(after=after, limit=limit, **filters)
    except Invalid:
        return list_page(limit=limit, **filters)


def _found(get, ident):
    """What a service's get/by_email returns, or None where it raises NotFound."""
    try:
        return get(ident)
    except NotFound:
        return None


# -- administrators ----------------------------------------------------------
def is_administrator(user_id: str | None) -> bool:
    return services().administrators.is_administrator(user_id)


def has_console_second_factor(user_id: str) -> bool:
    """Whether a step-up could succeed: the console takes a one-time code (amr otp), so TOTP enrolled."""
    return services().mfa.is_enrolled(user_id)


def actor(admin) -> Actor:
    return Actor.user(admin.id)


def user(user_id: str):
    """The user as administrators see them (no password hash), or None."""
    return _found(UserAdmin(services()).get, user_id)


# -- overview ----------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Overview:
    users: int
    clients: int
    sessions: int
    sign_ins: list[int]  # per hour, the last 24 hours, oldest first
    failures: list[int]
    next_rotations: list[tuple[str, dt.datetime | None]]  # (alg, when; None: rotation is off)


def overview() -> Overview:
    svc = services()
    counts = _queries().hourly_counts(SIGN_IN_ACTIONS)
    return Overview(users=_queries().count_users(), clients=_queries().count_clients(),
                    sessions=count_active_sessions(svc.store), sign_ins=counts["login.succeeded"],
                    failures=counts["login.failed"], next_rotations=next_rotations())


def next_rotations() -> list[tuple[str, dt.datetime | None]]:
    interval = key_rotation_interval()
    return [(key.alg, (key.promoted_at or key.created_at) + dt.timedelta(seconds=interval) if interval > 0 else None)
            for key in signing_keys() if key.state == "current"]


# -- users -------------------------------------------------------------------
def user_admin() -> UserAdmin:
    """The users' service, for the searchable list (idp/admin/console/listing.py)."""
    return UserAdmin(services())


def create_user(admin, *, email: str, name: str | None, password: str | None, email_verified: bool,
                send_email: str | None):
    """The new user (mailed when send_email says so); raises Invalid (each wrong field), Duplicate (the email)."""
    return UserAdmin(services()).create(actor(admin), email=email, name=name, password=password,
                                        email_verified=email_verified, send_email=send_email)


@dataclasses.dataclass(frozen=True)
class UserDetails:
    user: object
    sessions: list
    identities: list
    grants: list
    mfa_enrolled: bool
    recovery_codes_left: int
    administrator: bool
    passkeys: list


def user_details(user_id: str) -> UserDetails | None:
    svc = services()
    found = user(user_id)
    if found is None:
        return None
    enrolled = svc.mfa.is_enrolled(found.id)
    return UserDetails(found, svc.sessions.list(found.id), svc.federated.for_user(found.id),
                       svc.connected_apps.for_user(found.id), enrolled,
                       svc.mfa.remaining_recovery_codes(found.id) if enrolled else 0,
                       svc.administrators.is_administrator(found.id), UserAccess(svc).passkeys(found.id))


def set_disabled(admin, target, disabled: bool) -> dict:
    """Disable: sign-in and token issuance refused at once, sessions ended, grants revoked."""
    return UserAdmin(services()).set_disabled(actor(admin), target.id, disabled)


def end_sessions(admin, target) -> int:
    return UserAccess(services()).end_all_sessions(actor(admin), target.id)


def remove_passkeys(admin, target) -> int:
    """Every passkey of the user (a lost device), as `idp users remove-passkeys`: how many."""
    return UserAccess(services()).remove_passkeys(actor(admin), target.id)


def revoke_grant(admin, target, client_id: str):
    revoked = revoke_app(services(), target.id, client_id)
    audit.record("grant.revoked", user_id=target.id, client_id=client_id, actor=actor(admin).label,
                 families=revoked.families)
    return revoked


def delete_user(admin, target) -> None:
    """Sessions ended (relying parties told), tokens revoked, the user and all they own removed."""
    UserAdmin(services()).delete(actor(admin), target.id)


# -- clients -----------------------------------------------------------------
def _clients() -> ClientAdmin:
    return client_admin(services())


def client_admin_service() -> ClientAdmin:
    """The clients' service, for the searchable list (idp/admin/console/listing.py)."""
    return _clients()


def clients(after: list | None, limit: int) -> Page:
    """Oldest first, a keyset page at a time (a cursor not of this list: the first page): the clients
    an API's page offers to allow."""
    return _page(_clients().list, after, limit)


def client(client_id: str):
    return _found(_clients().get, client_id)


def create_client(admin, fields: dict, dry_run: bool = False):
    """(client, secret shown once) from RFC 7591 metadata (+ client_id, trusted), through ClientAdmin
    as the admin API's POST /clients; Invalid names each wrong field (checked like a registration).
    dry_run: check only."""
    return _clients().create(actor(admin), fields, dry_run=dry_run)


def update_client(admin, client_id: str, changes: dict, dry_run: bool = False, version: str | None = None):
    """A merge patch of the client's metadata (None removes a field), as the admin API's PATCH;
    raises Invalid (each wrong field), NotFound, PreconditionFailed (not the `version` the page
    showed any more: someone changed it meanwhile). dry_run: check only."""
    return _clients().update(actor(admin), client_id, changes, version, dry_run=dry_run)



def client_choices() -> dict[str, tuple[str, ...]]:
    """The values each field of a fixed set may take on this server (grant types, methods, algorithms …)."""
    return _clients().choices()


def client_apis(client_id: str) -> list[dict]:
    """The APIs the client may ask tokens for (name, identifier, scopes, default): one per API allowed."""
    return services().authorization.client_apis(client_id)


def update_user_metadata(admin, target, changes: dict, version: str):
    """app_metadata / user_metadata (issue 35), under the ETag value the page was made with."""
    return UserAdmin(services()).update(actor(admin), target.id, changes, version)


def rotate_client_secret(admin, target, grace_seconds: int = 0) -> str | None:
    """A new secret (the old one keeps working grace_seconds more), or None for a client without a
    shared secret."""
    try:
        return _clients().rotate_secret(actor(admin), target.client_id, grace_seconds=grace_seconds)[1]
    except Invalid:
        return None


def delete_client(admin, client_id: str) -> None:
    _clients().delete(actor(admin), client_id)


# -- keys --------------------------------------------------------------------
def signing_keys() -> list:
    return KeyAdmin(services()).list()


def signing_algs() -> tuple[str, ...]:
    return services().keys.algs


def key_rotation_interval() -> int:
    return services().keys.rotation_interval


def public_jwk(kid: str) -> dict | None:
    """The key's public JWK (any state), as GET /admin/api/v1/keys/{kid}/jwk: never a private member."""
    return _found(KeyAdmin(services()).public_jwk, kid)


def rotate_key(admin, alg: str, force: bool) -> str:
    """The new current kid; raises TooEarly unless forced, PreconditionFailed when someone rotated first."""
    return KeyAdmin(services()).rotate(actor(admin), alg, force=force)


def retire_key(admin, kid: str) -> None:
    """Stops signing now, published until what it signed has expired; NotFound for no live key."""
    KeyAdmin(services()).retire(actor(admin), kid)


def revoke_key(admin, kid: str) -> None:
    """Out of the JWKS at once: every token it signed stops verifying; NotFound for no live key."""
    KeyAdmin(services()).revoke(actor(admin), kid)


def import_key(admin, *, jwk: dict | None, pem: str | None, alg: str | None) -> str:
    """The kid of the imported key, now its algorithm's next key; raises Invalid, Duplicate."""
    return KeyAdmin(services()).import_key(actor(admin), jwk=jwk, pem=pem, alg=alg)


# -- administrators (who may enter the console) ------------------------------
def _administrators() -> AdministratorAdmin:
    return AdministratorAdmin(services())


def administrators(after: list | None, limit: int) -> tuple[Page, dict[str, bool]]:
    """A keyset page by user id and, per user id, whether they have a second factor (without one
    they cannot enter yet); a cursor that is not one of this list starts at the first page."""
    page = _page(_administrators().list, after, limit)
    return page, {row.user_id: services().mfa.is_enrolled(row.user_id) for row in page.items}


def administrator(user_id: str):
    return _found(_administrators().get, user_id)


def grant_administrator(admin, target) -> bool:
    """True when made now, False when they already were one."""
    return _administrators().grant(actor(admin), target.id)[1]


def revoke_administrator(admin, user_id: str) -> None:
    """Raises Conflict for the last administrator, NotFound when revoked meanwhile."""
    _administrators().revoke(actor(admin), user_id)


# -- registration tokens (initial access tokens, RFC 7591 3) -----------------
def _registration_tokens() -> RegistrationTokenAdmin:
    return RegistrationTokenAdmin(services())


def registration_mode() -> str:
    """REGISTRATION_MODE: tokens are asked for only when it is "token" (open: none needed; off: no registration)."""
    return services().config.registration_mode


def registration_tokens(after: list | None, limit: int) -> Page:
    return _page(_registration_tokens().list, after, limit)


def registration_token(token_id: str):
    return _found(_registration_tokens().get, token_id)


def create_registration_token(admin, uses: int, expires_in: int):
    """(the stored token, its value: shown this once); raises Invalid."""
    return _registration_tokens().create(actor(admin), uses, expires_in)


def revoke_registration_token(admin, token_id: str) -> None:
    _registration_tokens().delete(actor(admin), token_id)


# -- the mail outbox ---------------------------------------------------------
def mail_status() -> MailStatus:
    return MailAdmin(services()).status()


def retry_mail(admin) -> int:
    """Every pending message made due now (the sender thread sends them): how many."""
    return MailAdmin(services()).retry(actor(admin))


# -- audit -------------------------------------------------------------------
def audit_page(after: list | None, limit: int, **filters) -> Page:
    """Newest first, filtered as AuditAdmin.list is (action, user_id, client_id, actor, since, until);
    a cursor that is not one of this list starts again at the first page."""
    return _page(AuditAdmin(services()).list, after, limit, **filters)


def audit_names(entries: list):
    """The users and clients a page of events names, by name (one batched lookup)."""
    return AuditAdmin(services()).names(entries)


def audit_actions() -> list[str]:
    return _queries().audit_actions()


def user_by_email(email: str):
    return _found(UserAdmin(services()).by_email, email)


# -- the console's own OpenID Connect client ---------------------------------
CONSOLE_CLIENT_ID = "idp-admin-console"
CONSOLE_SCOPE = "openid profile email"


def console_client_secret() -> str:
    """Derived from SESSION_SECRET: every replica knows it without storing it, and changing
    SESSION_SECRET changes it (the next ensure_console_client records the new hash)."""
    import hashlib
    import hmac

    return hmac.new(services().config.session_secret.encode(), b"idp-admin-console-client", hashlib.sha256).hexdigest()


def ensure_console_client() -> None:
    """Register the console as a trusted first-party client of its issuer, or bring the
    registration in line (issuer, secret). Idempotent, and safe when replicas race: a
    duplicate create is a Conflict, then everyone converges on the same values."""
    from idp.store.errors import Conflict as Duplicate

    svc = services()
    redirect_uri = svc.config.issuer + "/admin/callback"
    secret = console_client_secret()
    existing = svc.clients.get(CONSOLE_CLIENT_ID)
    if existing is None:
        try:
            existing, _secret = svc.clients.create("Admin console", [redirect_uri], client_id=CONSOLE_CLIENT_ID,
                                                   trusted=True, scope=CONSOLE_SCOPE,
                                                   grant_types=["authorization_code"])
        except Duplicate:
            existing = None  # another replica registered it a moment ago: align its fields below
    if (existing is not None and existing.trusted and existing.redirect_uris == (redirect_uri,)
            and existing.check_client_secret(secret)):
        return
    salt = random_token(16)
    svc.clients.update(CONSOLE_CLIENT_ID, redirect_uris=[redirect_uri], trusted=True, scope=CONSOLE_SCOPE,
                       grant_types=["authorization_code"], response_types=["code"],
                       token_endpoint_auth_method="client_secret_basic",
                       secret_salt=salt, secret_hash=hash_client_secret(secret, salt))


# -- user imports (issue 32): the admin API's job service -------------------------------------
def start_user_import(app, admin, fmt: str, options: dict, stream):
    from idp.migration.jobs import ImportJobService

    return ImportJobService(services()).start(app, actor(admin).label, fmt, options, stream)


def user_import(job_id: str):
    from idp.migration.jobs import ImportJobService

    try:
        return ImportJobService(services()).get(job_id)
    except NotFound:
        return None

