"""The `idp` command — one module per group: demo, serve, db, users, clients, mail, audit, keys,
admins, apis, groups, roles, selftest."""

import click

from idp.cli.admins import admins
from idp.cli.apis import apis, groups, roles
from idp.cli.audit import audit
from idp.cli.clients import clients
from idp.cli.db import db
from idp.cli.keys import keys
from idp.cli.mail import mail
from idp.cli.orgs import orgs
from idp.cli.passkeys import remove_passkeys
from idp.cli.selftest import selftest
from idp.cli.serve import demo, serve
from idp.cli.users import users


@click.group()
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
main.add_command(orgs)
users.add_command(remove_passkeys)  # `idp users remove-passkeys` lives in idp/cli/passkeys.py


if __name__ == "__main__":
    main()
