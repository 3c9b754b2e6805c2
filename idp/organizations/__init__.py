"""Organizations (issue 33): the customer companies a B2B deployment serves, each with its members,
the roles they hold in it, its email domains and branding; the rules the admin API, the CLI and the
sign-in share. admin.py administers them (tenant isolation included), signin.py resolves the
organization of an authorization request and checks membership, domains.py verifies domains."""
