"""Tokens and keys: the token service (access tokens, codes, refresh families, revocation), the
signing keys and their material, subject identifiers, device authorizations."""
