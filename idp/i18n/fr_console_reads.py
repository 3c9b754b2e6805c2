"""French translations of the console's reading pages (issue 34): who holds what, the lists' search,
the audit page's filters and the phone menu, keyed by the English text (merged into the catalogue
by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "A direct member": "Membre direct",
    "A search holds at most %(count)s printable characters.":
        "Une recherche compte au plus %(count)s caractères imprimables.",
    "API": "API",
    "Command line": "Ligne de commande",
    "Directly": "Directement",
    "Done by (cli, client:ID, user:ID or an email)": "Fait par (cli, client:ID, user:ID ou une adresse e-mail)",
    "Every member holds these: the group's own roles and those of the groups it is inside.":
        "Chaque membre les détient : les rôles du groupe et ceux des groupes qui le contiennent.",
    "Everyone whose next token for this API carries the role: given it directly, or in a group it is given to "
    "(nested groups included).":
        "Toutes les personnes dont le prochain jeton pour cette API porte ce rôle : attribué directement, ou à un "
        "groupe dont elles font partie (groupes imbriqués compris).",
    "Found: %(count)s.": "Trouvés : %(count)s.",
    "Found: more than %(count)s.": "Trouvés : plus de %(count)s.",
    "From": "Origine",
    "From (UTC)": "Du (UTC)",
    "Groups given the role": "Groupes ayant ce rôle",
    "Holders of %(role)s": "Détenteurs de %(role)s",
    "Inside the groups": "Dans les groupes",
    "Menu": "Menu",
    "No API matches.": "Aucune API ne correspond.",
    "No client matches.": "Aucun client ne correspond.",
    "No group is given this role.": "Aucun groupe n’a ce rôle.",
    "No group matches.": "Aucun groupe ne correspond.",
    "No role reaches this group's members.": "Aucun rôle n’atteint les membres de ce groupe.",
    "Nobody holds this role.": "Personne ne détient ce rôle.",
    "Search by any part of a name": "Rechercher par une partie du nom",
    "Search by any part of a name or client ID": "Rechercher par une partie du nom ou de l’identifiant client",
    "Search by any part of a name or identifier": "Rechercher par une partie du nom ou de l’identifiant",
    "Search by any part of an email or name": "Rechercher par une partie de l’adresse e-mail ou du nom",
    "There is no such role.": "Ce rôle n’existe pas.",
    "This user holds no role.": "Cet utilisateur ne détient aucun rôle.",
    "This user is in no group.": "Cet utilisateur n’est dans aucun groupe.",
    "Through %(groups)s": "Par %(groups)s",
    "Through the group": "Par le groupe",
    "Through the group %(group)s": "Par le groupe %(group)s",
    "Until (UTC)": "Au (UTC)",
    "What this user's next tokens carry, and where each role comes from.":
        "Ce que porteront les prochains jetons de cet utilisateur, et l’origine de chaque rôle.",
    "via %(groups)s": "via %(groups)s",
    "“%(value)s” is not a date: this filter was left out.": "« %(value)s » n’est pas une date : ce filtre a été ignoré.",
}
