"""French translations of organizations' single sign-on (issue 33): the login page's identifier step
(home-realm discovery) and sign-in through an organization's enterprise connection, keyed by the
English text (merged into the catalogue by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "Enter your password.": "Saisissez votre mot de passe.",
    "Signing in through your organization? Leave it empty and continue.":
        "Vous vous connectez via votre organisation ? Laissez-le vide et continuez.",
    "Your %(provider)s account's email address is not in one of this organization's domains, so it cannot sign in "
    "here.": "L’adresse e-mail de votre compte %(provider)s n’appartient à aucun des domaines de cette organisation : "
             "il ne peut donc pas servir à se connecter ici.",
    # the console's branding and enterprise connections (idp/admin/console/organization_sso.py)
    "Branding on the sign-in pages": "Personnalisation des pages de connexion",
    "Shown instead of the deployment's brand when a sign-in names this organization.":
        "Affichée à la place de celle du déploiement quand une connexion nomme cette organisation.",
    "Name on the sign-in pages": "Nom sur les pages de connexion",
    "Empty: the organization's name.": "Vide : le nom de l’organisation.",
    "An https URL; empty: the deployment's logo.": "Une URL https ; vide : le logo du déploiement.",
    "Primary colour": "Couleur principale",
    "#rrggbb; empty: the deployment's colour.": "#rrggbb ; vide : la couleur du déploiement.",
    "Background colour": "Couleur de fond",
    "#rrggbb; empty: the deployment's background.": "#rrggbb ; vide : le fond du déploiement.",
    "Save the branding": "Enregistrer la personnalisation",
    "The branding was saved.": "La personnalisation a été enregistrée.",
    "The branding was not saved:": "La personnalisation n’a pas été enregistrée :",
    "Enterprise connections": "Connexions d’entreprise",
    "Enterprise connection": "Connexion d’entreprise",
    "The organization's own identity provider: users of its verified domains sign in there.":
        "Le fournisseur d’identité propre à l’organisation : les utilisateurs de ses domaines vérifiés "
        "s’y connectent.",
    "Kind": "Type",
    "oidc: any OpenID Connect issuer, by its discovery URL.":
        "oidc : tout émetteur OpenID Connect, par son URL de découverte.",
    "Label": "Libellé",
    "What the sign-in button says; empty: the provider's name.":
        "Le texte du bouton de connexion ; vide : le nom du fournisseur.",
    "Issued by the provider to this organization.": "Délivré par le fournisseur à cette organisation.",
    "Discovery URL": "URL de découverte",
    "For kind oidc only: https://issuer/.well-known/openid-configuration":
        "Pour le type oidc seulement : https://emetteur/.well-known/openid-configuration",
    "Issued by the provider; never shown again.": "Délivré par le fournisseur ; jamais réaffiché.",
    "Type a new one to rotate it; empty: the stored one stays.":
        "Saisissez-en un nouveau pour le renouveler ; vide : celui enregistré reste.",
    "Callback URL to register at the provider": "URL de retour à enregistrer chez le fournisseur",
    "secret set": "secret défini",
    "no secret": "aucun secret",
    "No connection yet.": "Aucune connexion pour l’instant.",
    "Add a connection": "Ajouter une connexion",
    "Create the connection": "Créer la connexion",
    "The connection was created.": "La connexion a été créée.",
    "The connection was not created:": "La connexion n’a pas été créée :",
    "Save the connection": "Enregistrer la connexion",
    "The connection was saved.": "La connexion a été enregistrée.",
    "The connection was not saved:": "La connexion n’a pas été enregistrée :",
    "There is no such connection in this organization.": "Cette organisation n’a pas de telle connexion.",
    "Delete the connection": "Supprimer la connexion",
    "Delete the connection %(label)s?": "Supprimer la connexion %(label)s ?",
    "Its users keep their accounts and memberships, and sign in another way from now on.":
        "Ses utilisateurs gardent leurs comptes et leurs adhésions, et se connectent autrement désormais.",
    "The connection was deleted.": "La connexion a été supprimée.",
}
