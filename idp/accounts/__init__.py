"""Accounts and their credentials: the account lifecycle (sign-up, verification, reset), the
password policy, lockout, second factors and the mail that goes with them. Domain services:
surfaces call them; they call idp.store."""
