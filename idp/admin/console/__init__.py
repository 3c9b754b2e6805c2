"""The web admin console at /admin (issue 15): server-rendered pages in the hosted pages' style,
entered through the console's own OpenID Connect sign-in (signin.py), for administrators with a
second factor only. Pages reach the system through backend.py alone."""

from idp.admin.console import administrators, audit, client_apis, clients, keys, mail  # noqa: F401  (routes register on import)
from idp.admin.console import overview, registration_tokens, signin, users  # noqa: F401
from idp.admin.console import api_access, apis, groups  # noqa: F401  (registered APIs and groups, issue 21)
from idp.admin.console import user_imports  # noqa: F401  (moving users in, issue 32)
from idp.admin.console import organization_groups, organization_members, organizations  # noqa: F401  (issue 33)
from idp.admin.console import organization_sso  # noqa: F401  (an organization's branding and connections, issue 33)
from idp.admin.console import user_metadata  # noqa: F401  (custom claims' metadata, issue 35)
from idp.admin.console import holdings  # noqa: F401  (who holds what, issue 34)
from idp.admin.console import webhooks  # noqa: F401  (signed webhooks, issue 35)
from idp.admin.console.blueprint import bp  # noqa: F401  (what the app factory registers)
