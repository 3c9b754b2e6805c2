"""The admin surface (issue 15): the REST API under /admin/api/v1 (idp/admin/api) and, beside it,
the console. Both call idp/administration, which the `idp` CLI calls too."""
