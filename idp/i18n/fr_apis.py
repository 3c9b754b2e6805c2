"""French translations of the apis pages, keyed by the English text (merged into the
catalogue by idp/i18n/__init__.py; one file per area so parallel work never edits one dict)."""

FR: dict[str, str] = {
    "See the groups you belong to": "Voir les groupes dont vous faites partie",
    "See your roles in this application's APIs": "Voir vos rôles dans les API de cette application",
    "Access to %(api)s:": "Accès à %(api)s :",
    # the console's token-exchange switches (RFC 8693)
    "Token exchange (RFC 8693)": "Échange de jetons (RFC 8693)",
    "For a service that calls other APIs on behalf of the user in front of it.":
        "Pour un service qui appelle d'autres API au nom de l'utilisateur qu'il sert.",
    "May exchange users' tokens for tokens for other APIs":
        "Peut échanger les jetons des utilisateurs contre des jetons pour d'autres API",
    "May impersonate users (an exchange without an actor token)":
        "Peut se faire passer pour les utilisateurs (un échange sans jeton d'acteur)",
    "May get refresh tokens from an exchange (with offline_access)":
        "Peut obtenir des jetons de rafraîchissement par un échange (avec offline_access)",
}
