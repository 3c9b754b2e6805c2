"""APIs, roles and groups: what a resource server is registered as, and which roles and groups
a user holds for it (the store side is idp/store/apis.py)."""
