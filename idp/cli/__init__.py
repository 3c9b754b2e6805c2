"""The `idp` command — one module per group: demo, serve, db, users, clients, mail, audit, keys,
admins, apis, groups, roles, selftest."""

import click

from idp.cli.admins import admins
from idp.cli.apis import apis, groups, roles
from idp.cli.audit import audit
from idp.cli.clients import clients
from idp.cli.holdings import apis_role_holders, groups_roles, users_groups, users_roles
from idp.cli.db import db
from idp.cli.keys import keys
from idp.cli.mail import mail
from idp.cli.migration import users_export, users_import
from idp.cli.orgs import orgs
from idp.cli import orgs_sso  # noqa: F401,E402  (its commands join `orgs`)
from idp.cli import org_groups  # noqa: F401,E402  (`idp orgs groups` joins `orgs`)
from idp.cli.passkeys import remove_passkeys
from idp.cli.selftest import selftest
from idp.cli.serve import demo, serve
from idp.cli.users import users
from idp.cli.webhooks import webhooks
from idp.plumbing.writable import UnwritableDir


class _Cli(click.Group):
    """A configured directory that cannot be made (idp.plumbing.writable) is one line, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UnwritableDir as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Cli)
@click.version_option(package_name="idp", prog_name="idp", message="%(prog)s %(version)s")
def main():
    """OpenID Connect identity provider."""


main.add_command(serve)
main.add_command(demo)
main.add_command(db)
main.add_command(users)
main.add_command(clients)
main.add_command(mail)
main.add_command(audit)
main.add_command(keys)
main.add_command(admins)
main.add_command(selftest)
main.add_command(apis)
main.add_command(groups)
main.add_command(roles)
users.add_command(users_import)
users.add_command(users_export)
main.add_command(orgs)
main.add_command(webhooks)
users.add_command(remove_passkeys)  # `idp users remove-passkeys` lives in idp/cli/passkeys.py
users.add_command(users_roles)  # who holds what (issue 34): idp/cli/holdings.py
users.add_command(users_groups)
groups.add_command(groups_roles)
apis.add_command(apis_role_holders)


if __name__ == "__main__":
    main()
