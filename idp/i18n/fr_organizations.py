"""French translations of organizations' pages (issue 33): the organization picker and invitations,
keyed by the English text (merged into the catalogue by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "Choose an organization": "Choisissez une organisation",
    "Invitation": "Invitation",
    "Join": "Rejoindre",
    "Join %(org)s": "Rejoindre %(org)s",
    "Or type its name": "Ou saisissez son nom",
    "This application signs you in to one of your organizations.":
        "Cette application vous connecte à l’une de vos organisations.",
    "This invitation is for": "Cette invitation est destinée à",
    "Welcome to %(org)s": "Bienvenue dans %(org)s",
    "You are not a member of any organization yet.": "Vous n’êtes encore membre d’aucune organisation.",
    "You are now a member.": "Vous êtes désormais membre.",
    "create your account": "créez votre compte",
    "with this address, then open the link again.": "avec cette adresse, puis ouvrez de nouveau le lien.",
}
