"""Hosted pages, one module per page: sign-in (login, login_mfa), consent, logout, sign-up
(register, verify_email), password reset (forgot_password, reset_password), the account
pages (account, account_apps, account_password, account_mfa), the brand stylesheet, and what
the sign-in and consent pages show of a client's registered URLs (client_links)."""

from idp.web import (  # noqa: F401  (routes register on import)
    account,
    account_apps,
    account_mfa,
    account_password,
    account_profile,
    brand,
    client_links,
    consent,
    dev_mailbox,
    device,
    federation,
    forgot_password,
    invitations,
    login,
    login_mfa,
    logout,
    org_brand,
    org_connections,
    organization_picker,
    passkeys_account,
    passkeys_register,
    passkeys_sign_in,
    register,
    reset_password,
    verify_email,
)
from idp.web.blueprint import bp  # noqa: F401  (what the app factory registers)
