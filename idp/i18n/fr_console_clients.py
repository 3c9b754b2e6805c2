"""French translations of the console's client form (issue 34): the application types, every field
the admin API takes, the summary of wrong fields and the API chooser, keyed by the English text
(merged into the catalogue by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "1. Application type": "1. Type d’application",
    "2. Its settings": "2. Ses réglages",
    "A mobile or desktop app: no secret, PKCE, redirects to a loopback address (http://127.0.0.1:port/path) or its own scheme (com.example.app:/callback).":
        "Une application mobile ou de bureau : pas de secret, PKCE, redirection vers une adresse de bouclage "
        "(http://127.0.0.1:port/chemin) ou vers son propre schéma (com.example.app:/callback).",
    "A service with no user: client credentials only, no redirect URI, no openid or offline_access.":
        "Un service sans utilisateur : identifiants client seulement, pas d’URI de redirection, ni openid ni "
        "offline_access.",
    "APIs it may call": "API qu’il peut appeler",
    "About the application": "À propos de l’application",
    "Allow it on the API": "L’autoriser sur l’API",
    "Allow on this API": "Autoriser sur cette API",
    "Application type": "Type d’application",
    "Back-channel logout URI": "URI de déconnexion par canal arrière",
    "Called by the server when the user signs out (OpenID Back-Channel Logout).":
        "Appelée par le serveur quand l’utilisateur se déconnecte (OpenID Back-Channel Logout).",
    "Choose it first: the form below then holds its defaults.":
        "Choisissez-le d’abord : le formulaire ci-dessous reprend alors ses valeurs par défaut.",
    "Client assertion algorithm": "Algorithme des assertions du client",
    "Contacts": "Contacts",
    "Default authentication levels": "Niveaux d’authentification par défaut",
    "Email addresses, one per line.": "Adresses e-mail, une par ligne.",
    "Empty: the default of the application type. Cannot change once created.":
        "Vide : la valeur par défaut du type d’application. Ne peut plus changer après la création.",
    "First-party application: skip the consent page": "Application interne : pas de page de consentement",
    "For pairwise identifiers across several hosts: a JSON list of the redirect URIs.":
        "Pour des identifiants par paire sur plusieurs hôtes : une liste JSON des URI de redirection.",
    "Grant types": "Types d’autorisation",
    "Grants and authentication": "Autorisations et authentification",
    "Home page": "Page d’accueil",
    "ID token signing algorithm": "Algorithme de signature du jeton d’identité",
    "ID tokens always carry auth_time": "Les jetons d’identité portent toujours auth_time",
    "JWK Set": "Jeu de clés JWK",
    "JWK Set URL": "URL du jeu de clés JWK",
    "Logo URL": "URL du logo",
    "Machine to machine": "Machine à machine",
    "Maximum authentication age (seconds)": "Âge maximal de l’authentification (secondes)",
    "More APIs": "Plus d’API",
    "More clients": "Plus de clients",
    "Native app": "Application native",
    "Not saved: check the fields marked below (%(count)s).":
        "Non enregistré : vérifiez les champs signalés ci-dessous (%(count)s).",
    "No API is registered yet.": "Aucune API n’est encore enregistrée.",
    "None checked: the defaults of the application type.": "Aucune cochée : celles du type d’application.",
    "Optional: letters, digits and . _ ~ -; a random one otherwise.":
        "Facultatif : lettres, chiffres et . _ ~ - ; sinon un identifiant aléatoire.",
    "Or the public keys themselves, as JSON.": "Ou les clés publiques elles-mêmes, en JSON.",
    "Pairwise: each application sees its own identifier for a user.":
        "Par paire : chaque application voit son propre identifiant pour un utilisateur.",
    "Post-logout redirect URIs": "URI de redirection après déconnexion",
    "Privacy policy URL": "URL de la politique de confidentialité",
    "Request object algorithm": "Algorithme des objets de requête",
    "Require DPoP-bound access tokens": "Exiger des jetons d’accès liés par DPoP",
    "Require pushed authorization requests (PAR)": "Exiger des requêtes d’autorisation poussées (PAR)",
    "Require signed request objects": "Exiger des objets de requête signés",
    "Runs in the browser: no secret (a public client), PKCE; its origin may call the token endpoint.":
        "S’exécute dans le navigateur : pas de secret (client public), PKCE ; son origine peut appeler le point "
        "de terminaison des jetons.",
    "Runs on a server, which keeps a secret.": "S’exécute sur un serveur, qui garde un secret.",
    "Sector identifier URI": "URI d’identifiant de secteur",
    "Sign-in and sign-out": "Connexion et déconnexion",
    "Sign-in start URI": "URI de début de connexion",
    "Single-page app": "Application monopage",
    "Software ID": "Identifiant du logiciel",
    "Software version": "Version du logiciel",
    "Subject type": "Type de sujet",
    "Terms of service URL": "URL des conditions d’utilisation",
    "The application": "L’application",
    "The application's public keys (private_key_jwt, signed requests).":
        "Les clés publiques de l’application (private_key_jwt, requêtes signées).",
    "The client was not saved: check the fields marked below (%(count)s).":
        "Le client n’a pas été enregistré : vérifiez les champs signalés ci-dessous (%(count)s).",
    "The form expired: open it again.": "Le formulaire a expiré : ouvrez-le de nouveau.",
    "The group was not created: check the fields marked below (%(count)s).":
        "Le groupe n’a pas été créé : vérifiez les champs signalés ci-dessous (%(count)s).",
    "The logout token carries the session (sid)": "Le jeton de déconnexion porte la session (sid)",
    "The server's default": "La valeur par défaut du serveur",
    "This client may not ask tokens for any registered API yet.":
        "Ce client ne peut encore demander de jetons pour aucune API enregistrée.",
    "Token endpoint authentication": "Authentification au point de terminaison des jetons",
    "Tokens": "Jetons",
    "Web application": "Application web",
    "Where a third party can start a sign-in at the application.":
        "Où un tiers peut lancer une connexion à l’application.",
    "Where the application may send the user after signing out; one per line.":
        "Où l’application peut envoyer l’utilisateur après la déconnexion ; une par ligne.",
    "a machine-to-machine client gets no openid or offline_access (no user signs in)":
        "un client machine à machine n’obtient ni openid ni offline_access (aucun utilisateur ne se connecte)",
    "a machine-to-machine client has no redirect URI": "un client machine à machine n’a pas d’URI de redirection",
    "a machine-to-machine client uses client_credentials only":
        "un client machine à machine n’utilise que client_credentials",
    "a whole number of seconds": "un nombre entier de secondes",
    "choose an API": "choisissez une API",
    "choose one of the application types": "choisissez l’un des types d’application",
    "not JSON: paste the JWK Set as it is": "pas du JSON : collez le jeu de clés JWK tel quel",
    "this application type has no secret: none": "ce type d’application n’a pas de secret : none",
    "One claim=source a line, optionally @scope (docs/claims.md): plan=app_metadata.plan":
        "Un claim=source par ligne, éventuellement @scope (docs/claims.md) : plan=app_metadata.plan",
}
