"""The admin REST API, /admin/api/v1 (issue 15). The framework (authentication, problem details,
ETags, cursors) is in framework.py and problems.py; each resource is a module of routes on its
blueprint, imported here so that registering `bp` registers them all."""

from idp.admin.api import (  # noqa: F401  (their routes join bp)
    administrators,
    apis,
    audit_events,
    groups,
    holdings,
    mail,
    organization_connections,
    organization_groups,
    organizations,
    registration_tokens,
    user_access,
    user_imports,
    users,
    webhooks,
)
from idp.admin.api.framework import bp

__all__ = ["bp"]
