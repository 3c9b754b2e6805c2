"""The subject identifier a client sees for a user (OpenID Connect Core 8).

`public`: the user's id, the same for every client. `pairwise` (subject_type in the
client's metadata): base64url(SHA-256(sector || user id || salt)), where the sector is
the host of the client's sector_identifier_uri, else of its redirect URIs (one host,
checked at registration; OIDC Core 8.1). Clients of one sector see the same sub,
other sectors cannot correlate users. Every token a client can read (ID token, access
token, userinfo, logout token) carries this sub.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit


def sector_of(client) -> str:
    uri = client.client_metadata.get("sector_identifier_uri")
    if uri:
        return urlsplit(uri).hostname or ""
    hosts = {urlsplit(u).hostname for u in client.redirect_uris}
    return hosts.pop() if len(hosts) == 1 else client.client_id


def is_pairwise(client) -> bool:
    return client is not None and client.client_metadata.get("subject_type") == "pairwise"


def subject_for(svc, client, user_id: str) -> str:
    if not is_pairwise(client):
        return user_id
    sector = sector_of(client)
    digest = hashlib.sha256(f"{sector}\0{user_id}\0{svc.pairwise.salt()}".encode()).digest()
    subject = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    svc.pairwise.remember(sector, subject, user_id)
    return subject


def user_id_for(svc, client, subject: str) -> str | None:
    """The user behind a sub this client received."""
    if not is_pairwise(client):
        return subject
    return svc.pairwise.user_id(sector_of(client), subject)
