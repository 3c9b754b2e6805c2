"""The administration surfaces: the web console (idp/admin/console) and the REST API (idp/admin/api)."""
