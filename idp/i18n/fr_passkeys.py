"""French translations of the passkeys pages, keyed by the English text (merged into the
catalogue by idp/i18n/__init__.py; one file per area so parallel work never edits one dict)."""

FR: dict[str, str] = {
    "A passkey signs you in with your fingerprint, face or device PIN instead of a password. It works only on this site, so it cannot be phished.":
        "Une clé d’accès vous connecte avec votre empreinte, votre visage ou le code de votre appareil, sans mot de passe. Elle ne fonctionne que sur ce site : impossible de se la faire dérober par hameçonnage.",
    "Add a passkey": "Ajouter une clé d’accès",
    "Added %(date)s": "Ajoutée le %(date)s",
    "Can sync": "Synchronisable",
    "Confirm it is you with your passkey.": "Confirmez que c’est bien vous avec votre clé d’accès.",
    "Create a passkey": "Créer une clé d’accès",
    "For your security, sign in again before changing your passkeys.":
        "Pour votre sécurité, reconnectez-vous avant de modifier vos clés d’accès.",
    "Keep it": "La garder",
    "Last used %(when)s": "Dernière utilisation : %(when)s",
    "Add or remove": "Ajouter ou supprimer",
    "Passkey name": "Nom de la clé d’accès",
    "Passkey required": "Clé d’accès requise",
    "Passkeys": "Clés d’accès",
    "Passkeys are not available on this server.": "Les clés d’accès ne sont pas disponibles sur ce serveur.",
    "Remove": "Supprimer",
    "Remove %(name)s": "Supprimer %(name)s",
    "Remove %(name)s?": "Supprimer %(name)s ?",
    "Remove it": "La supprimer",
    "Sign in again": "Se reconnecter",
    "Sign in with a passkey": "Se connecter avec une clé d’accès",
    "Sign in with your fingerprint, face or device PIN.":
        "Connectez-vous avec votre empreinte, votre visage ou le code de votre appareil.",
    "So you can tell your passkeys apart, e.g. “Work laptop”.":
        "Pour distinguer vos clés d’accès, par exemple « Portable du bureau ».",
    "Synced": "Synchronisée",
    "The passkey request was cancelled or timed out. Try again, or sign in another way.":
        "La demande de clé d’accès a été annulée ou a expiré. Réessayez, ou connectez-vous autrement.",
    "The passkey was removed.": "La clé d’accès a été supprimée.",
    "This application asks for a sign-in that cannot be phished: a passkey.":
        "Cette application demande une connexion qui résiste à l’hameçonnage : une clé d’accès.",
    "This browser cannot use passkeys here.": "Ce navigateur ne peut pas utiliser de clé d’accès ici.",
    "This device only": "Cet appareil seulement",
    "This is your last passkey. Without it you will sign in with your password.":
        "C’est votre dernière clé d’accès. Sans elle, vous vous connecterez avec votre mot de passe.",
    "This kind of passkey or security key is not accepted here.":
        "Ce type de clé d’accès ou de clé de sécurité n’est pas accepté ici.",
    "This passkey answer was made for another website address. Use this page only.":
        "Cette réponse de clé d’accès a été faite pour une autre adresse de site. Utilisez uniquement cette page.",
    "This passkey could not be trusted (it may have been copied). Sign in another way and check your passkeys.":
        "Cette clé d’accès n’est pas fiable (elle a peut-être été copiée). Connectez-vous autrement et vérifiez vos clés d’accès.",
    "This passkey is already registered.": "Cette clé d’accès est déjà enregistrée.",
    "This passkey is not registered here. Use another one, or sign in with your password.":
        "Cette clé d’accès n’est pas enregistrée ici. Utilisez-en une autre, ou connectez-vous avec votre mot de passe.",
    "This passkey is your only way to sign in. Set a password or add another passkey first.":
        "Cette clé d’accès est votre seul moyen de connexion. Définissez d’abord un mot de passe ou ajoutez une autre clé d’accès.",
    "This passkey request has expired or was already used. Try again.":
        "Cette demande de clé d’accès a expiré ou a déjà servi. Réessayez.",
    "Too many failed attempts. Sign-in is paused: try again later, or reset your password.":
        "Trop de tentatives échouées. La connexion est suspendue : réessayez plus tard, ou réinitialisez votre mot de passe.",
    "Use your passkey": "Utiliser votre clé d’accès",
    "You have no passkey yet.": "Vous n’avez pas encore de clé d’accès.",
    "Your account has no passkey yet. Create one now, then sign in with it to continue.":
        "Votre compte n’a pas encore de clé d’accès. Créez-en une maintenant, puis connectez-vous avec pour continuer.",
    "Your passkey is ready: use it to sign in next time.":
        "Votre clé d’accès est prête : utilisez-la pour vous connecter la prochaine fois.",
    "Your passkey's answer could not be verified. Try again.":
        "La réponse de votre clé d’accès n’a pas pu être vérifiée. Réessayez.",
    "Your passkeys": "Vos clés d’accès",
    "never": "jamais",
    # sign-up with a passkey
    "No password: after you confirm your email, your device creates a passkey for this account.":
        "Sans mot de passe : une fois votre adresse confirmée, votre appareil crée une clé d’accès pour ce compte.",
    "Use a passkey instead of a password": "Utiliser une clé d’accès plutôt qu’un mot de passe",
    "Use a password instead": "Utiliser plutôt un mot de passe",
    "Your account is ready. Sign in with your passkey now.":
        "Votre compte est prêt. Connectez-vous maintenant avec votre clé d’accès.",
    "Your email address is confirmed. Create the passkey you will sign in with.":
        "Votre adresse e-mail est confirmée. Créez la clé d’accès avec laquelle vous vous connecterez.",
    "Your passkey is ready": "Votre clé d’accès est prête",
    # binding and removing authenticators (step-up, notices)
    "Confirm it is you with your passkey or your authenticator app before changing how you sign in.":
        "Confirmez votre identité avec votre clé d’accès ou votre application d’authentification avant de modifier "
        "vos moyens de connexion.",
    "A passkey added since you signed in cannot confirm this sign-in. Sign in with it again to use it.":
        "Une clé d’accès ajoutée depuis votre connexion ne peut pas confirmer cette connexion. "
        "Reconnectez-vous avec elle pour l’utiliser.",
    "For your security, sign in again before changing how you sign in.":
        "Pour votre sécurité, reconnectez-vous avant de modifier vos moyens de connexion.",
    "Before you change how you sign in, confirm it is you with a way to sign in you already had.":
        "Avant de modifier vos moyens de connexion, confirmez votre identité avec un moyen que vous aviez déjà.",
    "Sign in again with your usual second step to change how you sign in.":
        "Reconnectez-vous avec votre deuxième étape habituelle pour modifier vos moyens de connexion.",
    "Continue": "Continuer",
    "Your new passkey is ready. Sign in with it to continue.":
        "Votre nouvelle clé d’accès est prête. Connectez-vous avec pour continuer.",
    "Sign in with your passkey": "Se connecter avec votre clé d’accès",
    "A passkey was added to your %(brand)s account": "Une clé d’accès a été ajoutée à votre compte %(brand)s",
    "A passkey was removed from your %(brand)s account": "Une clé d’accès a été retirée de votre compte %(brand)s",
    "An administrator removed the passkeys of your %(brand)s account":
        "Un administrateur a retiré les clés d’accès de votre compte %(brand)s",
    "Two-step verification was turned on for your %(brand)s account":
        "La validation en deux étapes a été activée pour votre compte %(brand)s",
    "Two-step verification was turned off for your %(brand)s account":
        "La validation en deux étapes a été désactivée pour votre compte %(brand)s",
    "New recovery codes were made for your %(brand)s account":
        "De nouveaux codes de secours ont été créés pour votre compte %(brand)s",
    "An administrator turned off two-step verification for your %(brand)s account":
        "Un administrateur a désactivé la validation en deux étapes de votre compte %(brand)s",
    "The ways to sign in to your account changed on %(when)s:":
        "Les moyens de connexion à votre compte ont changé le %(when)s :",
    "If this was you, there is nothing to do. If not, change your password now, review your passkeys and two-step "
    "verification, and contact your administrator:":
        "Si c’était vous, il n’y a rien à faire. Sinon, changez votre mot de passe dès maintenant, vérifiez vos clés "
        "d’accès et la validation en deux étapes, et contactez votre administrateur :",
}
