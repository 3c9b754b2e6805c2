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
    # administrators
    "Administrators": "Administrateurs",
    "Who may enter this console. Administrators sign in with a second factor; the last one cannot be removed.":
        "Qui peut entrer dans cette console. Les administrateurs se connectent avec un second facteur ; le dernier "
        "ne peut pas être retiré.",
    "Email of the account to make an administrator": "Adresse du compte à nommer administrateur",
    "Grant": "Accorder",
    "Second factor": "Second facteur",
    "Granted": "Accordé le",
    "Granted by": "Accordé par",
    "Actions": "Actions",
    "Revoke the console from %(email)s": "Retirer la console à %(email)s",
    "Revoke the console from %(email)s?": "Retirer la console à %(email)s ?",
    "Without a second factor an administrator cannot enter the console yet: they turn on two-step verification "
    "first.":
        "Sans second facteur, un administrateur ne peut pas encore entrer dans la console : il active d’abord la "
        "validation en deux étapes.",
    "Enter the email of an existing account.": "Saisissez l’adresse d’un compte existant.",
    "There is no such administrator.": "Cet administrateur n’existe pas.",
    "%(email)s can no longer enter the console, from their next request on.":
        "%(email)s ne peut plus entrer dans la console, dès sa prochaine requête.",
    "You can no longer enter the console once this is done: another administrator must grant it back.":
        "Vous ne pourrez plus entrer dans la console ensuite : un autre administrateur devra vous la rendre.",
    "%(email)s is the last administrator: grant another one first.":
        "%(email)s est le dernier administrateur : nommez-en d’abord un autre.",
    "There is no user with this email: they sign up first, or you create the account.":
        "Aucun utilisateur n’a cette adresse : il s’inscrit d’abord, ou vous créez le compte.",
    "%(email)s is now an administrator.": "%(email)s est désormais administrateur.",
    "%(email)s already was an administrator.": "%(email)s était déjà administrateur.",
    "%(email)s is no longer an administrator.": "%(email)s n’est plus administrateur.",
}
