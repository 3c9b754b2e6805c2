"""French translations of moving users in (issue 32): the console's import pages, keyed by the English
text (merged into the catalogue by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "Import users": "Importer des utilisateurs",
    "User import": "Import d’utilisateurs",
    "Users keep their id and their password: each hash is checked as it is, and replaced at their next sign-in.":
        "Les utilisateurs gardent leur identifiant et leur mot de passe : chaque empreinte est vérifiée telle "
        "quelle, puis remplacée à leur prochaine connexion.",
    "File": "Fichier",
    "Format": "Format",
    "When the user exists": "Si l’utilisateur existe",
    "Check only (write nothing)": "Vérifier seulement (ne rien écrire)",
    "Accept salted MD5/SHA digests": "Accepter les condensats MD5/SHA salés",
    "This IdP's jsonl": "jsonl de ce fournisseur",
    "Keycloak realm export": "Export de royaume Keycloak",
    "Auth0 bulk import": "Import en masse Auth0",
    "Leave the existing user": "Laisser l’utilisateur existant",
    "Replace the existing user": "Remplacer l’utilisateur existant",
    "Report it as an error": "Le signaler comme une erreur",
    "Choose a format and what to do with existing users.":
        "Choisissez un format et que faire des utilisateurs existants.",
    "Choose the file to import.": "Choisissez le fichier à importer.",
    "The file is larger than this server accepts (USER_IMPORT_MAX_BYTES).":
        "Le fichier dépasse la taille acceptée par ce serveur (USER_IMPORT_MAX_BYTES).",
    "The file is empty.": "Le fichier est vide.",
    "There is no such import.": "Cet import n’existe pas.",
    "Started": "Commencé",
    "Finished": "Terminé",
    "Records not imported": "Enregistrements non importés",
    "Record": "Enregistrement",
    "Reason": "Raison",
    "queued": "en attente",
    "running": "en cours",
    "succeeded": "terminé",
    "created": "créés",
    "updated": "mis à jour",
    "skipped": "ignorés",
}
