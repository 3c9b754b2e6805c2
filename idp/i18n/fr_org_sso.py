"""French translations of organizations' single sign-on (issue 33): the login page's identifier step
(home-realm discovery) and sign-in through an organization's enterprise connection, keyed by the
English text (merged into the catalogue by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "Enter your password.": "Saisissez votre mot de passe.",
    "Signing in through your organization? Leave it empty and continue.":
        "Vous vous connectez via votre organisation ? Laissez-le vide et continuez.",
    "Your %(provider)s account's email address is not in one of this organization's domains, so it cannot sign in "
    "here.": "L’adresse e-mail de votre compte %(provider)s n’appartient à aucun des domaines de cette organisation : "
             "il ne peut donc pas servir à se connecter ici.",
}
