"""French translations of the console's operations pages (mail outbox, administrators, registration
tokens, key retirement, revocation and import), keyed by the English text (merged into the
catalogue by idp/i18n/__init__.py; one file per area so parallel work never edits one dict)."""

FR: dict[str, str] = {
    # mail outbox
    "Mail": "Courriel",
    "Mail outbox": "File d’envoi des courriels",
    "Send pending messages now": "Envoyer maintenant les messages en attente",
    "Messages wait in the outbox until the mail server accepts them; a message that keeps failing is given up "
    "and its body erased (it held a link).":
        "Les messages attendent dans la file jusqu’à ce que le serveur de courriel les accepte ; un message qui "
        "échoue sans cesse est abandonné et son contenu effacé (il contenait un lien).",
    "%(count)s pending messages will be sent now.": "%(count)s messages en attente vont être envoyés maintenant.",
    "%(hours)s h %(minutes)s min": "%(hours)s h %(minutes)s min",
    "%(minutes)s min": "%(minutes)s min",
    "messages pending": "messages en attente",
    "messages sent": "messages envoyés",
    "messages given up": "messages abandonnés",
    "pending": "en attente",  # a failure's state
    "failed": "abandonné",
    "oldest pending message": "plus ancien message en attente",
    "Recent failures": "Échecs récents",
    "Message": "Message",
    "Recipient domain": "Domaine du destinataire",
    "Attempts": "Tentatives",
    "Last error": "Dernière erreur",
    "Queued": "Mis en file",
    "No message failed recently.": "Aucun message n’a échoué récemment.",
}
