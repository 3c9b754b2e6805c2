"""French translations of the admin pages, keyed by the English text (merged into the
catalogue by idp/i18n/__init__.py; one file per area so parallel work never edits one dict)."""

FR: dict[str, str] = {
    # admin API
    "Choose your %(brand)s password": "Choisissez votre mot de passe %(brand)s",
    "An account was made for you. Open this link to choose your password:":
        "Un compte a été créé pour vous. Ouvrez ce lien pour choisir votre mot de passe :",
    # admin console
    "Administration": "Administration",
    "Overview": "Vue d’ensemble",
    "Users": "Utilisateurs",
    "Clients": "Clients",
    "Signing keys": "Clés de signature",
    "Audit": "Journal d’audit",
    "Leave the console": "Quitter la console",
    "Access denied": "Accès refusé",
    "This account is not an administrator. The attempt was recorded.":
        "Ce compte n’est pas administrateur. La tentative a été enregistrée.",
    "users": "utilisateurs",
    "clients": "clients",
    "active sessions": "sessions actives",
    "sign-ins, last 24 hours": "connexions, dernières 24 heures",
    "failed sign-ins, last 24 hours": "connexions échouées, dernières 24 heures",
    "Sign-ins per hour, last 24 hours": "Connexions par heure, dernières 24 heures",
    "Sign-ins": "Connexions",
    "Failed sign-ins": "Connexions échouées",
    "The same figures as a table": "Les mêmes chiffres sous forme de tableau",
    "Hour": "Heure",
    "Next rotation: %(when)s": "Prochaine rotation : %(when)s",
    "Search": "Rechercher",
    "Name": "Nom",
    "State": "État",
    "Active": "Actif",
    "Disabled": "Désactivé",
    "Pages": "Pages",
    "Next": "Suivante",
    "First page": "Première page",
    "No user matches.": "Aucun utilisateur ne correspond.",
    "Search by the start of an email or name": "Rechercher par le début d’une adresse e-mail ou d’un nom",
    "There is no such user.": "Cet utilisateur n’existe pas.",
    "There is no such client.": "Ce client n’existe pas.",
    "Administrator": "Administrateur",
    "Email not verified": "Adresse e-mail non vérifiée",
    "Second factors": "Seconds facteurs",
    "Authenticator app (TOTP)": "Application d’authentification (TOTP)",
    "No second factor.": "Aucun second facteur.",
    "Sessions": "Sessions",
    "End every session": "Fermer toutes les sessions",
    "No active session.": "Aucune session active.",
    "Linked identities": "Identités liées",
    "Grants": "Autorisations",
    "Since %(when)s": "Depuis le %(when)s",
    "Revoke": "Révoquer",
    "Revoke access of %(client)s": "Révoquer l’accès de %(client)s",
    "No application holds a grant of this user.": "Aucune application ne détient d’autorisation de cet utilisateur.",
    "Account actions": "Actions sur le compte",
    "Enable": "Réactiver",
    "Disable": "Désactiver",
    "Delete the account": "Supprimer le compte",
    "The account is disabled: its sessions were ended and its tokens revoked.":
        "Le compte est désactivé : ses sessions ont été fermées et ses jetons révoqués.",
    "The account can sign in again.": "Le compte peut de nouveau se connecter.",
    "Every session of this user was ended.": "Toutes les sessions de cet utilisateur ont été fermées.",
    "That application's access was revoked.": "L’accès de cette application a été révoqué.",
    "Disable this account?": "Désactiver ce compte ?",
    "%(email)s will be signed out everywhere, every token they hold revoked, and they will not be able to sign in "
    "until the account is enabled again.":
        "%(email)s sera déconnecté partout, tous ses jetons seront révoqués et la connexion lui sera impossible "
        "jusqu’à la réactivation du compte.",
    "End every session?": "Fermer toutes les sessions ?",
    "End sessions": "Fermer les sessions",
    "%(email)s will be signed out of every browser; applications that asked for it are told.":
        "%(email)s sera déconnecté de tous les navigateurs ; les applications qui l’ont demandé seront prévenues.",
    "Revoke this access?": "Révoquer cet accès ?",
    "%(client)s loses the access %(email)s granted it: its refresh and access tokens stop working.":
        "%(client)s perd l’accès que %(email)s lui a accordé : ses jetons d’actualisation et d’accès cessent "
        "de fonctionner.",
    "Delete %(email)s?": "Supprimer %(email)s ?",
    "The account %(email)s, its sessions, tokens, consents and second factors are removed. This cannot be undone.":
        "Le compte %(email)s, ses sessions, jetons, consentements et seconds facteurs sont supprimés. "
        "C’est irréversible.",
    "You cannot delete your own account from the console.":
        "Vous ne pouvez pas supprimer votre propre compte depuis la console.",
    "Cancel": "Annuler",
    "New client": "Nouveau client",
    "Client ID": "Identifiant client",
    "Type": "Type",
    "Redirect URIs": "URI de redirection",
    "Allowed origins": "Origines autorisées",
    "Browser apps on these origins (https://app.example.com, one per line) may call the token, revocation and userinfo endpoints as this client, besides the origins of its redirect URIs.":
        "Les applications web de ces origines (https://app.example.com, une par ligne) peuvent appeler les points "
        "d’accès de jeton, de révocation et userinfo au nom de ce client, en plus des origines de ses URI de "
        "redirection.",
    "Public": "Public",
    "Confidential": "Confidentiel",
    "first-party": "interne",
    "One per line, compared exactly. Leave empty for a machine-to-machine client.":
        "Une par ligne, comparées à l’identique. Laissez vide pour un client de machine à machine.",
    "Scopes": "Portées",
    "Separated by spaces.": "Séparées par des espaces.",
    "Public client (no secret: a browser or mobile app, with PKCE)":
        "Client public (sans secret : application web ou mobile, avec PKCE)",
    "Create the client": "Créer le client",
    "Save": "Enregistrer",
    "Secret and deletion": "Secret et suppression",
    "Rotate the secret": "Renouveler le secret",
    "Delete the client": "Supprimer le client",
    "The client was not saved: %(reasons)s": "Le client n’a pas été enregistré : %(reasons)s",
    "Rotate the secret of %(name)s?": "Renouveler le secret de %(name)s ?",
    "The current secret of %(name)s stops working at once: the application needs the new one before it can get "
    "tokens again.":
        "Le secret actuel de %(name)s cesse aussitôt de fonctionner : l’application aura besoin du nouveau pour "
        "obtenir des jetons.",
    "This client has no shared secret to rotate.": "Ce client n’a pas de secret partagé à renouveler.",
    "Delete the client %(name)s?": "Supprimer le client %(name)s ?",
    "%(name)s (%(id)s) and every token and consent it holds are removed. This cannot be undone.":
        "%(name)s (%(id)s) et tous ses jetons et consentements sont supprimés. C’est irréversible.",
    "Delete %(name)s": "Supprimer %(name)s",
    "The client is registered.": "Le client est enregistré.",
    "The secret was rotated: the old one keeps working for %(grace)s.": "Le secret a été renouvelé : l’ancien fonctionne encore %(grace)s.",
    "The old secret keeps working": "L’ancien secret fonctionne encore",
    "not at all": "plus du tout",
    "1 hour": "1 heure",
    "1 day": "1 jour",
    "7 days": "7 jours",
    "Choose one of the grace periods offered.": "Choisissez l’un des délais proposés.",
    ("The current secret of %(name)s keeps working for %(grace)s, time to deploy the new one; then only the "
     "new one works."): ("Le secret actuel de %(name)s fonctionne encore %(grace)s, le temps de déployer le "
                         "nouveau ; ensuite seul le nouveau fonctionne."),
    "The secret was rotated: the old one no longer works.": "Le secret a été renouvelé : l’ancien ne fonctionne plus.",
    "Client secret": "Secret client",
    "Copy it now: it is shown only once and cannot be read back.":
        "Copiez-le maintenant : il n’est affiché qu’une fois et ne peut pas être relu.",
    "Copy": "Copier",
    "Copied": "Copié",
    "Done": "Terminé",
    "A next key is published before it signs; the current key signs; a retired key stays published until what it "
    "signed has expired.":
        "Une clé suivante est publiée avant de signer ; la clé actuelle signe ; une clé retirée reste publiée "
        "jusqu’à l’expiration de ce qu’elle a signé.",
    "The %(alg)s signing key was rotated.": "La clé de signature %(alg)s a été renouvelée.",
    "Rotate": "Renouveler",
    "Rotate the %(alg)s signing key": "Renouveler la clé de signature %(alg)s",
    "Rotate the %(alg)s signing key?": "Renouveler la clé de signature %(alg)s ?",
    "The next key starts signing now; the current one stays published until the tokens it signed have expired.":
        "La clé suivante signe dès maintenant ; l’actuelle reste publiée jusqu’à l’expiration des jetons "
        "qu’elle a signés.",
    "The next key was published only moments ago: relying parties that cached the key set may reject tokens it "
    "signs until they fetch it again. Rotate anyway?":
        "La clé suivante vient d’être publiée : les applications qui ont gardé le jeu de clés en cache peuvent "
        "refuser les jetons qu’elle signe jusqu’à le relire. Renouveler quand même ?",
    "Rotate anyway": "Renouveler quand même",
    "next": "suivante",
    "current": "actuelle",
    "retired": "retirée",
    "revoked": "révoquée",
    "Created %(when)s": "Créée le %(when)s",
    "signing since %(when)s": "signe depuis le %(when)s",
    "next rotation %(when)s": "prochaine rotation le %(when)s",
    "published until %(when)s": "publiée jusqu’au %(when)s",
    "Action": "Action",
    "Any action": "Toutes les actions",
    "User (email or id)": "Utilisateur (adresse e-mail ou identifiant)",
    "Since": "Depuis",
    "Filter": "Filtrer",
    "When": "Quand",
    "User": "Utilisateur",
    "Client": "Client",
    "IP": "IP",
    "Details": "Détails",
    "By": "Par",
    "No event matches.": "Aucun événement ne correspond.",
    # connected apps (account page)
    "Connected apps": "Applications connectées",
    "Since %(date)s": "Depuis le %(date)s",
    "Remove access": "Retirer l’accès",
    "Remove access for %(client)s": "Retirer l’accès de %(client)s",
    "Remove access for %(client)s?": "Retirer l’accès de %(client)s ?",
    "%(client)s will no longer reach your account: it is signed out and the next time it asks, you will be asked "
    "again.":
        "%(client)s n’aura plus accès à votre compte : l’application est déconnectée et, la prochaine fois "
        "qu’elle le demandera, votre accord vous sera redemandé.",
    "No application has access to your account.": "Aucune application n’a accès à votre compte.",
    "That application no longer has access to your account.": "Cette application n’a plus accès à votre compte.",
    # console: a user's passkeys (idp users remove-passkeys)
    "No passkey.": "Aucune clé d’accès.",
    "Remove every passkey": "Supprimer toutes les clés d’accès",
    "Remove every passkey?": "Supprimer toutes les clés d’accès ?",
    "Remove the passkeys": "Supprimer les clés d’accès",
    "Every passkey of %(email)s is removed (a lost or stolen device): they sign in with their password, a"
    " reset email or a recovery code, and may add passkeys again.":
        "Toutes les clés d’accès de %(email)s sont supprimées (un appareil perdu ou volé) : la personne se "
        "connecte avec son mot de passe, un courriel de réinitialisation ou un code de secours, et peut ajouter "
        "de nouvelles clés d’accès.",
    "Every passkey of this user was removed.": "Toutes les clés d’accès de cet utilisateur ont été supprimées.",
    # console: creating a user (idp users create)
    "New user": "Nouvel utilisateur",
    "Without a password, the user chooses one through the emailed link.":
        "Sans mot de passe, l’utilisateur en choisit un grâce au lien envoyé par courriel.",
    "Optional. At least 12 characters, not a common password.":
        "Facultatif. Au moins 12 caractères, pas un mot de passe courant.",
    "Email to send": "Courriel à envoyer",
    "No email": "Aucun courriel",
    "Ask them to confirm the address": "Lui demander de confirmer l’adresse",
    "A link to choose their password": "Un lien pour choisir son mot de passe",
    "The email address is verified": "L’adresse e-mail est vérifiée",
    "Create the user": "Créer l’utilisateur",
    "The account was not created: check the fields marked.": "Le compte n’a pas été créé : vérifiez les champs signalés.",
    "Enter an email address (at most 320 characters).": "Saisissez une adresse e-mail (320 caractères au plus).",
    "Use at most 255 characters, without control characters.":
        "Utilisez 255 caractères au plus, sans caractères de contrôle.",
    "Choose one of the emails offered.": "Choisissez l’un des courriels proposés.",
    "An account with this email address exists already.": "Un compte existe déjà avec cette adresse e-mail.",
    "The account was created.": "Le compte a été créé.",
    # console: a signing key's public JWK (idp keys export)
    "Public JWK": "JWK publique",
    "The public JWK of %(kid)s": "La JWK publique de %(kid)s",
    "Public key %(kid)s": "Clé publique %(kid)s",
    "The key's public JWK (RFC 7517), as the published key set holds it: it holds no private part.":
        "La JWK publique de la clé (RFC 7517), telle que la publie le jeu de clés : elle ne contient aucune "
        "partie privée.",
    "Download the JWK": "Télécharger la JWK",
    "There is no such key.": "Cette clé n’existe pas.",
}
