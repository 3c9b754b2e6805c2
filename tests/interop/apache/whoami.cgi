#!/usr/bin/env python3
"""What mod_auth_openidc told the application behind it: REMOTE_USER and the claims it passes
as environment variables (OIDC_CLAIM_* for a signed-in user, OAUTH2_CLAIM_* or OIDC_CLAIM_* for
a bearer token). The test reads this JSON; tokens themselves are left out."""
import json
import os

PREFIXES = ("OIDC_CLAIM_", "OAUTH2_CLAIM_")
seen = {k: v for k, v in os.environ.items() if k.startswith(PREFIXES)}
body = json.dumps({"remote_user": os.environ.get("REMOTE_USER"), "claims": seen})
print("Content-Type: application/json")
print("Cache-Control: no-store")
print()
print(body)
