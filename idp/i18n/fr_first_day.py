"""French translations of the development mailbox (issue 34), keyed by the English text (merged
into the catalogue by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "All messages": "Tous les messages",
    "Development mailbox": "Boîte aux lettres de développement",
    "No SMTP server is configured: the mail this server would send is kept here (and printed on its console). "
    "Development only.":
        "Aucun serveur SMTP n’est configuré : les messages que ce serveur enverrait sont gardés ici (et affichés "
        "sur sa console). Pour le développement seulement.",
    "No mail yet.": "Aucun message pour l’instant.",
    "To": "À",
}
