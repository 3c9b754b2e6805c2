"""French translations of custom claims' pages (issue 35): the account page's profile fields and the
console's metadata and claim mappings, keyed by the English text (merged by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "App metadata": "Métadonnées de l’application",
    "Applications you sign in to may receive these details.":
        "Les applications auxquelles vous vous connectez peuvent recevoir ces informations.",
    "Check these fields: %(fields)s": "Vérifiez ces champs : %(fields)s",
    "Claims its ID tokens and userinfo carry": "Claims de ses jetons d’identité et de userinfo",
    "Claims its access tokens carry": "Claims de ses jetons d’accès",
    "Details you share with the applications you use.":
        "Les informations que vous partagez avec les applications que vous utilisez.",
    "Edit profile": "Modifier le profil",
    "JSON objects that claim mappings put in tokens. Only administrators change the app metadata; the user may "
    "edit the profile fields of the user metadata.":
        "Des objets JSON que les correspondances de claims placent dans les jetons. Seuls les administrateurs "
        "modifient les métadonnées de l’application ; l’utilisateur peut modifier les champs de profil de ses "
        "métadonnées.",
    "Metadata": "Métadonnées",
    "One a line: claim=source, or claim=source@scope to add it only when that scope is granted. Sources: "
    "app_metadata.key, user_metadata.key, user.email, user.name, groups, organization.slug. Reserved claims "
    "(sub, aud, scope…) are refused.":
        "Une par ligne : claim=source, ou claim=source@scope pour ne l’ajouter que si ce scope est accordé. "
        "Sources : app_metadata.clé, user_metadata.clé, user.email, user.name, groups, organization.slug. Les "
        "claims réservés (sub, aud, scope…) sont refusés.",
    "Profile": "Profil",
    "Save the metadata": "Enregistrer les métadonnées",
    "The JSON is too long.": "Le JSON est trop long.",
    "The form expired. Please try again.": "Le formulaire a expiré. Veuillez réessayer.",
    "The metadata was saved: the user's next tokens carry it.":
        "Les métadonnées sont enregistrées : les prochains jetons de l’utilisateur les portent.",
    "These values are too long to keep.": "Ces valeurs sont trop longues pour être conservées.",
    "This is not JSON.": "Ce n’est pas du JSON.",
    "User metadata": "Métadonnées de l’utilisateur",
    "Your profile": "Votre profil",
    "Your profile changed meanwhile. Check it and save again.":
        "Votre profil a changé entre-temps. Vérifiez-le et enregistrez de nouveau.",
    "Your profile was saved.": "Votre profil est enregistré.",
}
