"""The services an app instance uses, built once from the config."""

from __future__ import annotations

import dataclasses
import os
import secrets

from idp.accounts.authenticators import Authenticators
from idp.accounts.lifecycle import Accounts
from idp.accounts.lockout import Lockout
from idp.accounts.mail import Mailer
from idp.accounts.mfa import Mfa
from idp.apis.access import ApiAccess
from idp.apis.authorization import VERSION_KEY as AUTHZ_VERSION, Authorization
from idp.apis.custom_claims import CustomClaims
from idp.accounts.passkeys import PasskeyService
from idp.config import Config
from idp.events.delivery import DeliveryWorker
from idp.events.outbox import EventOutbox
from idp.federation import Connector, build_connectors
from idp.migration.legacy import LegacyLogin, from_config as legacy_login_from_config
from idp.plumbing.encryption import KeyWrapper
from idp.plumbing.outbound import Outbound
from idp.plumbing.writable import make_dir
from idp.organizations.domains import DnsTxtCheck, DomainCheck
from idp.signin.sessions import UserSessions
from idp.store.apis import ApiRegistry
from idp.store.account_repos import AccountTokens, Outbox, RecoveryCodes, TotpCredentials
from idp.store.administrators import Administrators
from idp.store.audit_events import AuditEvents
from idp.store.clients import Clients, InitialAccessTokens
from idp.store.connected_apps import ConnectedApps
from idp.store.consents import Consents, PairwiseSubjects
from idp.store.db import Database
from idp.store.ephemeral import EphemeralStore, RedisStore, make_store
from idp.store.federated import FederatedIdentities
from idp.store.organization_invitations import Invitations
from idp.store.organization_connections import OrganizationConnections
from idp.store.organizations import Organizations
from idp.store.passkeys import Passkeys
from idp.store.refresh_tokens import RefreshTokens, Revocations
from idp.store.users import Users
from idp.store.versions import DurableVersion
from idp.store.webhooks import Webhooks
from idp.tokens.keys import KeyManager
from idp.tokens.revocation_cache import durable_revocations
from idp.tokens.service import KEYS_VERSION, TokenService


@dataclasses.dataclass
class Services:
    config: Config
    db: Database
    store: EphemeralStore
    users: Users
    clients: Clients
    consents: Consents
    refresh_tokens: RefreshTokens
    revocations: Revocations
    keys: KeyManager
    tokens: TokenService
    # hosted account pages
    sessions: UserSessions
    lockout: Lockout
    mailer: Mailer
    mfa: Mfa
    accounts: Accounts
    audit_events: AuditEvents
    outbound: Outbound
    initial_access_tokens: InitialAccessTokens
    pairwise: PairwiseSubjects
    # upstream federation
    federated: FederatedIdentities
    connectors: dict[str, Connector]
    # admin console (issue 15)
    administrators: Administrators
    connected_apps: ConnectedApps
    # registered APIs, groups and roles (issue 21)
    apis: ApiRegistry
    authorization: Authorization
    organizations: Organizations
    invitations: Invitations
    org_connections: OrganizationConnections  # organizations' enterprise connections (issue 33)
    api_access: ApiAccess
    custom_claims: CustomClaims  # claim mappings (issue 35)
    passkeys: PasskeyService  # WebAuthn (issue 17)
    authenticators: Authenticators  # who may bind or remove them, and the owner's notices (issue 30)
    legacy_login: LegacyLogin | None = None  # lazy migration (issue 32): LEGACY_LOGIN_URL
    # signed webhooks (issue 35): the outbox services write to, and this process's delivery worker
    events: EventOutbox | None = None
    webhooks: Webhooks | None = None
    webhook_worker: DeliveryWorker | None = None
    # how organizations' email domains are verified (issue 33): DNS TXT; tests answer it themselves
    domain_check: DomainCheck = dataclasses.field(default_factory=DnsTxtCheck)


def local_secret(name: str, keys_dir: str) -> str:
    """Development only: a random secret kept in keys/ (git-ignored) so restarts keep sessions and keys."""
    path = os.path.join(keys_dir, name)
    if os.path.exists(path):
        with open(path) as handle:
            return handle.read().strip()
    make_dir("keys directory", keys_dir)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def with_dev_secrets(config: Config, keys_dir: str = "keys") -> Config:
    """Fill missing secrets outside production (production refuses to start without them)."""
    if config.production:
        return config
    updates = {}
    if not config.session_secret:
        updates["session_secret"] = local_secret("dev-session-secret", keys_dir)
    if not config.key_encryption_key:
        updates["key_encryption_key"] = local_secret("dev-key-encryption-key", keys_dir)
    return dataclasses.replace(config, **updates) if updates else config


def build_services(config: Config) -> Services:
    db = Database(config.database_url, config.db_pool_size, config.database_read_url)
    store = make_store(config.redis_url, config.redis_prefix, config.redis_sentinel_password)
    refresh_tokens = RefreshTokens(db)
    revocations = Revocations(db)
    keys = KeyManager(db, config.key_encryption_key, algs=config.signing_algs, rsa_bits=config.rsa_bits,
                      rotation_interval=config.key_rotation_interval, longest_token_ttl=config.longest_token_ttl,
                      jwks_max_age=config.jwks_max_age, cache_seconds=config.key_cache_seconds)
    users = Users(db, store)
    feed = (store.feed(lambda: durable_revocations(revocations), (KEYS_VERSION, AUTHZ_VERSION))
            if isinstance(store, RedisStore) else None)  # in-process store: reads cost no round trip anyway
    tokens = TokenService(config, keys, store, refresh_tokens, revocations, feed)
    sessions = UserSessions(store)
    lockout = Lockout(store, config.max_login_attempts, config.account_lock_time_ms)
    mailer = Mailer(config, Outbox(db))
    apis = ApiRegistry(db)
    # bumps the shared version on every registry change; in the database when no other process shares the store
    authorization = Authorization(apis, store, feed,
                                  None if config.uses_redis else DurableVersion(db, AUTHZ_VERSION))
    mfa = Mfa(TotpCredentials(db), RecoveryCodes(db), config.key_encryption_key, config.brand_name)
    webhooks = Webhooks(db)
    webhook_worker = DeliveryWorker(
        webhooks, webhook_outbound(config), KeyWrapper(config.key_encryption_key), AuditEvents(db),
        disable_after=config.webhook_disable_after, timeout=config.webhook_timeout, sweep=config.webhook_sweep)
    events = EventOutbox(db, webhooks, webhook_worker.wake)
    keys.on_promoted = events.key_promoted  # key.rotated, however the key was promoted
    accounts = Accounts(config, users, AccountTokens(db), mailer, tokens, sessions, lockout, events)
    passkeys = PasskeyService(config, Passkeys(db), store)
    organizations = Organizations(db)
    authorization.watch(organizations)
    invitations = Invitations(db, lambda: organizations.on_change())  # an acceptance changes tokens too
    clients = Clients(db, config.client_cache_ttl, KeyWrapper(config.key_encryption_key))
    return Services(
        config=config,
        db=db,
        store=store,
        users=users,
        clients=clients,
        consents=Consents(db),
        refresh_tokens=refresh_tokens,
        revocations=revocations,
        keys=keys,
        tokens=tokens,
        sessions=sessions,
        lockout=lockout,
        mailer=mailer,
        mfa=mfa,
        accounts=accounts,
        audit_events=AuditEvents(db),
        outbound=Outbound(config.outbound_allowed_hosts, config.outbound_timeout, config.outbound_max_bytes),
        initial_access_tokens=InitialAccessTokens(db),
        pairwise=PairwiseSubjects(db),
        federated=FederatedIdentities(db),
        connectors=build_connectors(config.providers, config.federation_timeout),
        administrators=Administrators(db),
        connected_apps=ConnectedApps(db),
        apis=apis,
        authorization=authorization,
        organizations=organizations,
        invitations=invitations,
        org_connections=OrganizationConnections(db, KeyWrapper(config.key_encryption_key),
                                                lambda: organizations.on_change()),
        api_access=ApiAccess(authorization),
        custom_claims=CustomClaims(authorization, clients, organizations, apis),
        passkeys=passkeys,
        authenticators=Authenticators(mfa, passkeys, accounts, config.passkey_reauth_window),
        legacy_login=legacy_login_from_config(config),
        events=events,
        webhooks=webhooks,
        webhook_worker=webhook_worker,
    )


def webhook_outbound(config: Config) -> Outbound:
    """The SSRF guard webhooks go through: no private address at all (OUTBOUND_ALLOWED_HOSTS is for
    client metadata URLs), but loopback when WEBHOOK_ALLOW_LOOPBACK says so (development, tests)."""
    allowed = ("127.0.0.1", "::1", "localhost") if config.webhook_allow_loopback else ()
    return Outbound(allowed, config.webhook_timeout, 64 * 1024)


def scrape_collectors(config: Config) -> list:
    """What the main process of a multi-worker server adds to its scrape: live sessions, and users
    by password scheme (its own small database pool)."""
    from idp.observability.metrics import ActiveSessions, PasswordSchemes
    from idp.signin.sessions import count_active_sessions
    from idp.store.users import count_by_password_scheme

    return [ActiveSessions(count_active_sessions,
                           make_store(config.redis_url, config.redis_prefix, config.redis_sentinel_password)),
            PasswordSchemes(count_by_password_scheme, Database(config.database_url, 1, config.database_read_url))]
