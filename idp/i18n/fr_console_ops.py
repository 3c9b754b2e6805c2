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
    "%(email)s is the last administrator who can enter the console: grant another one (or enable one) first.":
        "%(email)s est le dernier administrateur qui peut entrer dans la console : nommez-en (ou réactivez-en) "
        "d’abord un autre.",
    "There is no user with this email: they sign up first, or you create the account.":
        "Aucun utilisateur n’a cette adresse : il s’inscrit d’abord, ou vous créez le compte.",
    "%(email)s is now an administrator.": "%(email)s est désormais administrateur.",
    "%(email)s already was an administrator.": "%(email)s était déjà administrateur.",
    "%(email)s is no longer an administrator.": "%(email)s n’est plus administrateur.",
    # registration tokens
    "Registration tokens": "Jetons d’enregistrement",
    "Registration token": "Jeton d’enregistrement",
    "An application registers itself (dynamic client registration) with one of these tokens. Only a digest of "
    "each is stored: a token is shown once, when it is made.":
        "Une application s’enregistre elle-même (enregistrement dynamique de client) avec l’un de ces jetons. "
        "Seule une empreinte de chacun est conservée : un jeton n’est affiché qu’une fois, à sa création.",
    "Dynamic registration does not ask for a token now (REGISTRATION_MODE is %(mode)s): tokens made here are "
    "needed only once it is token.":
        "L’enregistrement dynamique ne demande pas de jeton actuellement (REGISTRATION_MODE vaut %(mode)s) : les "
        "jetons créés ici ne serviront qu’une fois qu’il vaudra token.",
    "The token was revoked.": "Le jeton a été révoqué.",
    "Uses": "Utilisations",
    "How many registrations it allows, from 1 to %(max)s.": "Combien d’enregistrements il permet, de 1 à %(max)s.",
    "Expires after": "Expire après",
    "30 days": "30 jours",
    "Make a token": "Créer un jeton",
    "Token": "Jeton",
    "Uses left": "Utilisations restantes",
    "Expires": "Expire le",
    "Created": "Créé le",
    "SHA-256 of the token": "SHA-256 du jeton",
    "Revoke the token %(id)s…": "Révoquer le jeton %(id)s…",
    "No registration token is stored.": "Aucun jeton d’enregistrement n’est conservé.",
    "The token allows %(uses)s registrations until %(when)s.":
        "Le jeton permet %(uses)s enregistrements jusqu’au %(when)s.",
    "The application sends it as a bearer token to the registration endpoint.":
        "L’application l’envoie comme jeton porteur (bearer) au point d’enregistrement.",
    "Choose how many uses and how long the token lives.": "Choisissez le nombre d’utilisations et la durée du jeton.",
    "The number of uses is a whole number from 1 to %(max)s.":
        "Le nombre d’utilisations est un nombre entier de 1 à %(max)s.",
    "Choose one of the lifetimes offered.": "Choisissez l’une des durées proposées.",
    "There is no such registration token.": "Ce jeton d’enregistrement n’existe pas.",
    "Revoke this registration token?": "Révoquer ce jeton d’enregistrement ?",
    "Registrations with the token %(id)s… are refused from now on. Clients it registered stay.":
        "Les enregistrements avec le jeton %(id)s… sont refusés désormais. Les clients qu’il a enregistrés restent.",
    # signing keys: retire, revoke, import
    "Retire": "Retirer",
    "Retire the key %(kid)s": "Retirer la clé %(kid)s",
    "Retire the key %(kid)s?": "Retirer la clé %(kid)s ?",
    "Revoke the key %(kid)s": "Révoquer la clé %(kid)s",
    "Revoke the key %(kid)s?": "Révoquer la clé %(kid)s ?",
    "There is no such live key.": "Il n’existe pas de clé active de ce nom.",
    "%(kid)s stops signing now (a current key's next key takes over at once); it stays published until the tokens "
    "it signed have expired.":
        "%(kid)s cesse de signer maintenant (la clé suivante d’une clé courante prend le relais aussitôt) ; elle "
        "reste publiée jusqu’à l’expiration des jetons qu’elle a signés.",
    "%(kid)s leaves the published key set at once: every token it signed stops verifying, and it can never be "
    "imported again. Do this when the key is compromised.":
        "%(kid)s quitte aussitôt le jeu de clés publié : plus aucun jeton qu’elle a signé ne se vérifie, et elle ne "
        "pourra jamais être réimportée. Faites-le quand la clé est compromise.",
    "The key was not imported: %(reasons)s": "La clé n’a pas été importée : %(reasons)s",
    "The key %(kid)s was retired.": "La clé %(kid)s a été retirée.",
    "The key %(kid)s was revoked.": "La clé %(kid)s a été révoquée.",
    "The key %(kid)s was imported: it is the next key of its algorithm and signs after the next rotation.":
        "La clé %(kid)s a été importée : c’est la prochaine clé de son algorithme, elle signera après la prochaine "
        "rotation.",
    "Import a key": "Importer une clé",
    "A private key (RS256: RSA of 2048 to 8192 bits; ES256: P-256; EdDSA: Ed25519), as a PEM (PKCS #8 or PKCS #1, "
    "unencrypted) or a JWK. It becomes its algorithm's next key: published at once, signing after the next "
    "rotation.":
        "Une clé privée (RS256 : RSA de 2048 à 8192 bits ; ES256 : P-256 ; EdDSA : Ed25519), en PEM (PKCS #8 ou "
        "PKCS #1, non chiffré) ou en JWK. Elle devient la prochaine clé de son algorithme : publiée aussitôt, elle "
        "signe après la prochaine rotation.",
    "Private key": "Clé privée",
    "Algorithm": "Algorithme",
    "The key's own": "Celui de la clé",
    "Import": "Importer",
    "Paste a private key, PEM or JWK.": "Collez une clé privée, en PEM ou en JWK.",
    "Choose one of the algorithms offered.": "Choisissez l’un des algorithmes proposés.",
}
