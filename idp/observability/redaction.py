"""Scrubbing secrets out of log text: every line the IdP writes passes through `redact`
(idp/observability/logs.py says why at the one place they all pass)."""

from __future__ import annotations

import re

# key=value, "key": "value" and 'key': 'value' for the parameters that carry secrets; also key%3Dvalue,
# a parameter percent-encoded inside another one's value (a `next` URL carrying an invitation token)
_SECRET_PARAMS = re.compile(
    r"""(?P<key>\b(?:password|client_secret|secret|code|token|access_token|refresh_token|id_token|id_token_hint"""
    r"""|assertion|code_verifier)\b["']?\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^"'&\s,;}]+)""",
    re.IGNORECASE,
)
_ENCODED_PARAMS = re.compile(  # key%3Dvalue up to the encoded next parameter (%26) or the outer one
    r"(?P<key>\b(?:password|client_secret|secret|code|token|access_token|refresh_token|id_token|id_token_hint"
    r"|assertion|code_verifier)%3D)(?P<value>(?:(?!%26)[^&\s\"'])+)", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_AUTH_HEADER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
REDACTED = "[REDACTED]"


def _redact_value(match: re.Match) -> str:
    quote = match.group("value")[0]
    return match.group("key") + (f"{quote}{REDACTED}{quote}" if quote in "\"'" else REDACTED)


def redact(text: str) -> str:
    text = _JWT.sub(REDACTED, text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _ENCODED_PARAMS.sub(lambda m: m.group("key") + REDACTED, text)
    return _SECRET_PARAMS.sub(_redact_value, text)
