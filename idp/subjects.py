"""The subject identifier a client sees for a user (OpenID Connect Core 8)."""

from __future__ import annotations


def subject_for(svc, client, user_id: str) -> str:
    """Public subject: the user's id, the same for every client."""
    return user_id
