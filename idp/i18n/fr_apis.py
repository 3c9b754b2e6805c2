"""French translations of the apis pages, keyed by the English text (merged into the
catalogue by idp/i18n/__init__.py; one file per area so parallel work never edits one dict)."""

FR: dict[str, str] = {
    "See the groups you belong to": "Voir les groupes dont vous faites partie",
    "See your roles in this application's APIs": "Voir vos rôles dans les API de cette application",
    "Access to %(api)s:": "Accès à %(api)s :",
}
