"""French translations of the first day's pages (issue 34): `idp demo`'s callback page, the
development mailbox, and the sign-in messages for a disabled account and an administrator without
a second factor, keyed by the English text (merged into the catalogue by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "The demo client redeemed the code (with its PKCE verifier) and validated the ID token.":
        "Le client de démonstration a échangé le code (avec son vérificateur PKCE) et validé le jeton d’identité.",
    "check OK: the ID token carries the nonce the demo sent":
        "vérification réussie : le jeton d’identité porte le nonce envoyé par la démonstration",
    "The ID token did not pass the checks (signature, issuer, audience, expiry, nonce).":
        "Le jeton d’identité n’a pas passé les vérifications (signature, émetteur, audience, expiration, nonce).",
    "ID token claims": "Attributs du jeton d’identité",
    "Token response": "Réponse du point de terminaison de jetons",
    "The demo sign-in did not finish": "La connexion de démonstration n’a pas abouti",
    "This is not the state the demo sent. Open the URL `idp demo` printed.":
        "Ce n’est pas le state envoyé par la démonstration. Ouvrez l’URL affichée par `idp demo`.",
    "The response does not come from this issuer.": "La réponse ne vient pas de cet émetteur.",
    "The response carries no code.": "La réponse ne contient aucun code.",
    "This account is disabled. Ask your administrator to enable it again.":
        "Ce compte est désactivé. Demandez à votre administrateur de le réactiver.",
    "Your password is right, but administrators must also sign in with a second factor, and this account has "
    "none yet.":
        "Votre mot de passe est correct, mais les administrateurs doivent aussi se connecter avec un second "
        "facteur, et ce compte n’en a pas encore.",
    "Turn on two-step verification with an authenticator app on your account page, then open the console again: "
    "it will ask for a code after your password.":
        "Activez la validation en deux étapes avec une application d’authentification sur la page de votre compte, "
        "puis rouvrez la console : elle vous demandera un code après votre mot de passe.",
    # the development mailbox
    "All messages": "Tous les messages",
    "Development mailbox": "Boîte aux lettres de développement",
    "No SMTP server is configured: the mail this server would send is kept here (and printed on its console). "
    "Development only.":
        "Aucun serveur SMTP n’est configuré : les messages que ce serveur enverrait sont gardés ici (et affichés "
        "sur sa console). Pour le développement seulement.",
    "No mail yet.": "Aucun message pour l’instant.",
    "To": "À",
}
