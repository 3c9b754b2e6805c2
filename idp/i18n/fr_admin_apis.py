"""French translations of the console's API and group pages (issue 21), keyed by the English text
(merged into the catalogue by idp/i18n/__init__.py; one file per area so parallel work never edits one dict)."""

FR: dict[str, str] = {
    "APIs": "API",
    "Groups": "Groupes",
    "New API": "Nouvelle API",
    "No API is registered.": "Aucune API n’est enregistrée.",
    "Identifier": "Identifiant",
    "An absolute URI: the resource clients ask for and the audience of its tokens.":
        "Une URI absolue : la ressource que demandent les clients et l’audience de ses jetons.",
    "One a line: the scope, a space, its description (shown on the consent page).":
        "Une par ligne : la portée, une espace, sa description (affichée sur la page de consentement).",
    "Scopes that need a role": "Portées soumises à un rôle",
    "Separated by spaces: a user's token carries them only when one of their roles grants them.":
        "Séparées par des espaces : le jeton d’un utilisateur ne les porte que si l’un de ses rôles les accorde.",
    "Access-token lifetime (seconds)": "Durée de vie des jetons d’accès (secondes)",
    "Empty: the issuer's default.": "Vide : la valeur par défaut de l’émetteur.",
    "Resource server (client ID)": "Serveur de ressources (identifiant client)",
    "The client this API introspects tokens as; empty: none.":
        "Le client sous lequel cette API inspecte les jetons ; vide : aucun.",
    "DPoP-bound tokens only": "Jetons liés par DPoP uniquement",
    "Register the API": "Enregistrer l’API",
    "Deletion": "Suppression",
    "Delete the API": "Supprimer l’API",
    "Delete the API %(name)s?": "Supprimer l’API %(name)s ?",
    "%(name)s (%(identifier)s), its roles and their assignments, and every client's permission to ask tokens "
    "for it are removed. Tokens already issued for it stay valid until they expire.":
        "%(name)s (%(identifier)s), ses rôles et leurs attributions, et l’autorisation de chaque client à demander "
        "des jetons pour elle sont supprimés. Les jetons déjà émis pour elle restent valides jusqu’à leur expiration.",
    "There is no such API.": "Cette API n’existe pas.",
    "The API was saved.": "L’API a été enregistrée.",
    "Not saved: %(reasons)s": "Non enregistré : %(reasons)s",
    "Not saved: a field is too long.": "Non enregistré : un champ est trop long.",
    "Not done": "Non effectué",
    "Not done: %(reasons)s": "Non effectué : %(reasons)s",
    "Changed meanwhile": "Modifié entre-temps",
    "Someone changed this while you were looking at it. Nothing was saved: open the page again to see the "
    "current state, then make your change again.":
        "Quelqu’un l’a modifié pendant que vous le consultiez. Rien n’a été enregistré : rouvrez la page pour voir "
        "l’état actuel, puis refaites votre modification.",
    "Back": "Retour",
    "A field holds a character no name can hold.": "Un champ contient un caractère qu’aucun nom ne peut contenir.",
    # roles
    "Roles": "Rôles",
    "Role": "Rôle",
    "This API has no role yet.": "Cette API n’a encore aucun rôle.",
    "no scope": "aucune portée",
    "Delete": "Supprimer",
    "Delete the role %(role)s": "Supprimer le rôle %(role)s",
    "Delete the role %(role)s?": "Supprimer le rôle %(role)s ?",
    "Delete the role": "Supprimer le rôle",
    "The role %(role)s of %(api)s and every assignment of it are removed: the next tokens of its holders no "
    "longer carry it.":
        "Le rôle %(role)s de %(api)s et toutes ses attributions sont supprimés : les prochains jetons de ses "
        "titulaires ne le porteront plus.",
    "New role": "Nouveau rôle",
    "Its scopes": "Ses portées",
    "Separated by spaces; scopes of this API.": "Séparées par des espaces ; des portées de cette API.",
    "Description": "Description",
    "Create the role": "Créer le rôle",
    "The role was not created: a field is too long.": "Le rôle n’a pas été créé : un champ est trop long.",
    "The role was created.": "Le rôle a été créé.",
    "The role was deleted.": "Le rôle a été supprimé.",
    "Assign a role": "Attribuer un rôle",
    "Take a role back": "Retirer un rôle",
    "Assign": "Attribuer",
    "Take back": "Retirer",
    "User's email": "Adresse e-mail de l’utilisateur",
    "or group": "ou groupe",
    "Take back the role %(role)s?": "Retirer le rôle %(role)s ?",
    "%(holder)s no longer holds %(role)s: the next token issued for %(api)s leaves it out.":
        "%(holder)s ne détient plus %(role)s : le prochain jeton émis pour %(api)s ne le portera plus.",
    "The role was assigned.": "Le rôle a été attribué.",
    "The role was taken back.": "Le rôle a été retiré.",
    "name either a user's email or a group": "indiquez soit l’adresse e-mail d’un utilisateur, soit un groupe",
    "there is no user with this email": "aucun utilisateur n’a cette adresse e-mail",
    "there is no group with this name": "aucun groupe ne porte ce nom",
    # allowed clients
    "Allowed clients": "Clients autorisés",
    "every scope of the API": "toutes les portées de l’API",
    "default API": "API par défaut",
    "Disallow": "Retirer l’autorisation",
    "Disallow %(client)s": "Retirer l’autorisation de %(client)s",
    "Disallow %(client)s?": "Retirer l’autorisation de %(client)s ?",
    "%(client)s may no longer ask tokens for %(api)s (invalid_target); the tokens it holds run out on their own.":
        "%(client)s ne pourra plus demander de jetons pour %(api)s (invalid_target) ; les jetons qu’il détient "
        "expireront d’eux-mêmes.",
    "No client may ask tokens for this API yet.": "Aucun client ne peut encore demander de jetons pour cette API.",
    "Only these scopes": "Seulement ces portées",
    "Separated by spaces; empty: every scope of the API.":
        "Séparées par des espaces ; vide : toutes les portées de l’API.",
    "The API this client gets without a resource parameter": "L’API que ce client obtient sans paramètre resource",
    "Allow the client": "Autoriser le client",
    "name the client": "indiquez le client",
    "The client may now ask tokens for this API.": "Le client peut désormais demander des jetons pour cette API.",
    "The client may no longer ask tokens for this API.": "Le client ne peut plus demander de jetons pour cette API.",
    # groups
    "New group": "Nouveau groupe",
    "Create the group": "Créer le groupe",
    "No group yet.": "Aucun groupe pour l’instant.",
    "The group was not created: its name is too long.": "Le groupe n’a pas été créé : son nom est trop long.",
    "There is no such group.": "Ce groupe n’existe pas.",
    "Members": "Membres",
    "No user is directly in this group.": "Aucun utilisateur n’est directement dans ce groupe.",
    "Remove %(member)s": "Retirer %(member)s",
    "Remove %(member)s?": "Retirer %(member)s ?",
    "%(member)s leaves %(group)s, and the roles held through it.":
        "%(member)s quitte %(group)s, ainsi que les rôles détenus par son intermédiaire.",
    "Add the member": "Ajouter le membre",
    "Groups inside this one": "Groupes inclus dans celui-ci",
    "The members of a group put inside this one are members of this one too.":
        "Les membres d’un groupe inclus dans celui-ci sont aussi membres de celui-ci.",
    "Group": "Groupe",
    "Put inside": "Inclure",
    "Take %(member)s out": "Retirer %(member)s",
    "No group is inside this one.": "Aucun groupe n’est inclus dans celui-ci.",
    "Take out": "Retirer",
    "Delete the group": "Supprimer le groupe",
    "Delete the group %(name)s?": "Supprimer le groupe %(name)s ?",
    "The group %(name)s, its memberships and its role assignments are removed; its members' next tokens no "
    "longer carry it. Tokens already issued keep it until they expire.":
        "Le groupe %(name)s, ses appartenances et ses attributions de rôles sont supprimés ; les prochains jetons "
        "de ses membres ne le porteront plus. Les jetons déjà émis le gardent jusqu’à leur expiration.",
    "The group was created.": "Le groupe a été créé.",
    "The member was added.": "Le membre a été ajouté.",
    "The member was removed.": "Le membre a été retiré.",
    "The group was put inside this one.": "Le groupe a été inclus dans celui-ci.",
    "The group was taken out of this one.": "Le groupe a été retiré de celui-ci.",
}
