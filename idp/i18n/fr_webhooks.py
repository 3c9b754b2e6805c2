"""French translations of the console's Webhooks pages and of the event types' descriptions
(issue 35), keyed by the English text (merged into the catalogue by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "A new secret signs every webhook from now on; the current one signs them too for a day, while the receiver "
    "is given the new one.":
        "Un nouveau secret signe désormais chaque webhook ; l’actuel les signe aussi pendant un jour, le temps de "
        "donner le nouveau au destinataire.",
    "All": "Toutes",
    "Attempted": "Tentée le",
    "Create the endpoint": "Créer le point de réception",
    "Delete this webhook endpoint?": "Supprimer ce point de réception ?",
    "Delivered": "Livrée",
    "Deliveries": "Livraisons",
    "Disabled after failing": "Désactivé après des échecs",
    "Duration": "Durée",
    "Enabled": "Activé",
    "Endpoint": "Point de réception",
    "Error": "Erreur",
    "Event": "Événement",
    "Event types": "Types d’événements",
    "Failed": "Échouée",
    "Failing since": "En échec depuis",
    "Give the endpoint's URL (https).": "Indiquez l’URL du point de réception (https).",
    "Last answer": "Dernière réponse",
    "New endpoint": "Nouveau point de réception",
    "No attempt yet.": "Aucune tentative pour l’instant.",
    "No delivery yet.": "Aucune livraison pour l’instant.",
    "No webhook endpoint yet.": "Aucun point de réception pour l’instant.",
    "Other systems learn what happens here (a user created, a password changed) from signed HTTP requests "
    "(Standard Webhooks). Each endpoint receives the event types it is subscribed to.":
        "D’autres systèmes apprennent ce qui se passe ici (un utilisateur créé, un mot de passe changé) par des "
        "requêtes HTTP signées (Standard Webhooks). Chaque point de réception reçoit les types d’événements "
        "auxquels il est abonné.",
    "Pending": "En attente",
    "Replay": "Renvoyer",
    "Rotate the signing secret": "Renouveler le secret de signature",
    "Rotate the signing secret?": "Renouveler le secret de signature ?",
    "Signing secret": "Secret de signature",
    "Status code": "Code de statut",
    "The endpoint %(url)s was created.": "Le point de réception %(url)s a été créé.",
    "The endpoint is disabled.": "Le point de réception est désactivé.",
    "The endpoint is enabled.": "Le point de réception est activé.",
    "The endpoint was deleted.": "Le point de réception a été supprimé.",
    "The event was queued again.": "L’événement a été remis en file d’attente.",
    "The receiver verifies every webhook's signature with it (Standard Webhooks).":
        "Le destinataire vérifie avec lui la signature de chaque webhook (Standard Webhooks).",
    "The secret was rotated: the previous one signs too until %(when)s.":
        "Le secret a été renouvelé : le précédent signe aussi jusqu’au %(when)s.",
    "There is no such delivery.": "Cette livraison n’existe pas.",
    "There is no such webhook endpoint.": "Ce point de réception n’existe pas.",
    "URL": "URL",
    "Webhook delivery": "Livraison de webhook",
    "Webhook endpoint": "Point de réception de webhooks",
    "Webhook signing secret": "Secret de signature des webhooks",
    "Webhooks": "Webhooks",
    "Webhooks stop going to %(url)s, and its deliveries are forgotten.":
        "Les webhooks ne sont plus envoyés à %(url)s, et ses livraisons sont oubliées.",
    "https only. Its signing secret is shown once, on the next page.":
        "https uniquement. Son secret de signature s’affiche une seule fois, sur la page suivante.",
    "next attempt %(when)s": "prochaine tentative %(when)s",
    # event types (idp/events/types.py)
    "a client was deleted": "un client a été supprimé",
    "a client was registered": "un client a été enregistré",
    "a client's metadata changed": "les métadonnées d’un client ont changé",
    "a disabled user was enabled again": "un utilisateur désactivé a été réactivé",
    "a new signing key became current": "une nouvelle clé de signature est devenue courante",
    "a sign-in with a password failed": "une connexion par mot de passe a échoué",
    "a user became a member of an organization": "un utilisateur est devenu membre d’une organisation",
    "a user confirmed their email address": "un utilisateur a confirmé son adresse e-mail",
    "a user signed in": "un utilisateur s’est connecté",
    "a user stopped being a member of an organization": "un utilisateur n’est plus membre d’une organisation",
    "a user was created (by an administrator or a sign-up)":
        "un utilisateur a été créé (par un administrateur ou une inscription)",
    "a user was deleted": "un utilisateur a été supprimé",
    "a user was disabled (sessions ended, grants revoked)":
        "un utilisateur a été désactivé (sessions terminées, autorisations révoquées)",
    "a user's browser session(s) ended (signed out, or ended by an administrator)":
        "la ou les sessions de navigateur d’un utilisateur ont pris fin (déconnexion, ou fin par un administrateur)",
    "a user's grant to a client was revoked (its tokens with it)":
        "l’autorisation d’un utilisateur à un client a été révoquée (ses jetons avec elle)",
    "a user's password was changed or reset": "le mot de passe d’un utilisateur a été changé ou réinitialisé",
    "an administrator changed a user's email, name, email_verified or disabled":
        "un administrateur a changé l’e-mail, le nom, email_verified ou disabled d’un utilisateur",
    "too many failed attempts locked a user out for a while":
        "trop d’échecs ont bloqué un utilisateur pour un temps",
}
