"""French translations of the admin pages, keyed by the English text (merged into the
catalogue by idp/i18n/__init__.py; one file per area so parallel work never edits one dict)."""

FR: dict[str, str] = {
    # admin API
    "Choose your %(brand)s password": "Choisissez votre mot de passe %(brand)s",
    "An account was made for you. Open this link to choose your password:":
        "Un compte a été créé pour vous. Ouvrez ce lien pour choisir votre mot de passe :",
}
