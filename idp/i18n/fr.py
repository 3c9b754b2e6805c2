"""French translations, keyed by the English text (see idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    # layout
    "Skip to main content": "Aller au contenu principal",
    "Language": "Langue",
    "Secured by %(brand)s": "Sécurisé par %(brand)s",
    # sign-in
    "Sign in": "Se connecter",
    "to continue to": "pour continuer vers",
    "Email": "Adresse e-mail",
    "Password": "Mot de passe",
    "Forgot your password?": "Mot de passe oublié ?",
    "New here?": "Nouveau ici ?",
    "Create an account": "Créer un compte",
    "Incorrect email or password.": "Adresse e-mail ou mot de passe incorrect.",
    "Too many failed attempts. Sign-in is paused for %(duration)s: try again later, or reset your password.":
        "Trop de tentatives échouées. La connexion est suspendue pendant %(duration)s : réessayez plus tard "
        "ou réinitialisez votre mot de passe.",
    "Sign-in is temporarily unavailable. Try again in a few minutes.":
        "La connexion est momentanément indisponible. Réessayez dans quelques minutes.",
    "%(n)s min": "%(n)s min",
    "%(n)s s": "%(n)s s",
    "Confirm your email address first: we have sent you a new link.":
        "Confirmez d’abord votre adresse e-mail : nous vous avons envoyé un nouveau lien.",
    "Too many attempts. Please wait a moment and try again.":
        "Trop de tentatives. Patientez un instant puis réessayez.",
    # second factor
    "Two-step verification": "Validation en deux étapes",
    "Enter the 6-digit code from your authenticator app.":
        "Saisissez le code à 6 chiffres affiché par votre application d’authentification.",
    "Verification code": "Code de vérification",
    "Lost your phone? Enter one of your recovery codes instead.":
        "Téléphone perdu ? Saisissez plutôt l’un de vos codes de secours.",
    "Verify": "Vérifier",
    "Sign in as someone else": "Se connecter avec un autre compte",
    "That code is not valid. Check the time on your phone, or use a recovery code.":
        "Ce code n’est pas valide. Vérifiez l’heure de votre téléphone ou utilisez un code de secours.",
    # sign-up
    "Create your account": "Créez votre compte",
    "Full name": "Nom complet",
    "We will send you a link to confirm it.": "Nous vous enverrons un lien pour la confirmer.",
    "At least 12 characters. A few unrelated words work well.":
        "Au moins 12 caractères. Quelques mots sans rapport entre eux font très bien l’affaire.",
    "Create account": "Créer le compte",
    "Already have an account?": "Vous avez déjà un compte ?",
    "Enter your name.": "Saisissez votre nom.",
    "Enter an email address like name@example.com.": "Saisissez une adresse e-mail comme nom@exemple.fr.",
    "Enter a password.": "Saisissez un mot de passe.",
    "Check your email": "Consultez vos e-mails",
    "If %(email)s can receive mail, a link to confirm it is on its way.":
        "Si %(email)s peut recevoir des e-mails, un lien de confirmation est en route.",
    "Open it within 24 hours to finish creating your account. Nothing there? Check your spam folder.":
        "Ouvrez-le sous 24 heures pour terminer la création de votre compte. Rien reçu ? Regardez dans les spams.",
    # password policy
    "Use at least 12 characters.": "Utilisez au moins 12 caractères.",
    "Use at most 128 characters.": "Utilisez au plus 128 caractères.",
    "This password is too common. Choose something harder to guess, such as a few unrelated words.":
        "Ce mot de passe est trop courant. Choisissez-en un plus difficile à deviner, par exemple quelques mots "
        "sans rapport entre eux.",
    "Do not use your email address as your password.": "N’utilisez pas votre adresse e-mail comme mot de passe.",
    # email verification
    "Confirm your email address": "Confirmez votre adresse e-mail",
    "One click and your account is ready.": "Un clic et votre compte est prêt.",
    "Confirm my email address": "Confirmer mon adresse e-mail",
    "This link no longer works": "Ce lien ne fonctionne plus",
    "Links can be used once and expire after a while. Sign in to get a new one.":
        "Les liens ne servent qu’une fois et expirent au bout d’un moment. Connectez-vous pour en recevoir un nouveau.",
    "Email address confirmed": "Adresse e-mail confirmée",
    "Thank you, %(email)s is confirmed. Your account is ready.":
        "Merci, %(email)s est confirmée. Votre compte est prêt.",
    "Continue to sign in": "Continuer vers la connexion",
    # password reset
    "Reset your password": "Réinitialiser votre mot de passe",
    "Enter the email address of your account and we will send you a link to choose a new password.":
        "Saisissez l’adresse e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.",
    "Send the link": "Envoyer le lien",
    "Back to sign in": "Retour à la connexion",
    "Enter the email address of your account.": "Saisissez l’adresse e-mail de votre compte.",
    "If an account uses %(email)s, we have sent it a link to choose a new password.":
        "Si un compte utilise %(email)s, nous lui avons envoyé un lien pour choisir un nouveau mot de passe.",
    "The link works once, for one hour. Nothing there? Check your spam folder.":
        "Le lien ne sert qu’une fois, pendant une heure. Rien reçu ? Regardez dans les spams.",
    "Choose a new password": "Choisissez un nouveau mot de passe",
    "for %(email)s": "pour %(email)s",
    "New password": "Nouveau mot de passe",
    "Saving it signs you out everywhere, on every device and application.":
        "L’enregistrer vous déconnecte partout, sur tous vos appareils et applications.",
    "Save the new password": "Enregistrer le nouveau mot de passe",
    "Reset links can be used once and expire after one hour. Ask for a new one.":
        "Les liens de réinitialisation ne servent qu’une fois et expirent au bout d’une heure. Demandez-en un nouveau.",
    "Ask for a new link": "Demander un nouveau lien",
    "Password changed": "Mot de passe modifié",
    "You can now sign in with your new password. You were signed out everywhere else.":
        "Vous pouvez maintenant vous connecter avec votre nouveau mot de passe. Vous avez été déconnecté partout ailleurs.",
    # account
    "Your account": "Votre compte",
    "You are signed in as": "Vous êtes connecté en tant que",
    "Signed in": "Connecté",
    "Sign out": "Se déconnecter",
    "Security": "Sécurité",
    "Change it if you think someone else knows it.": "Changez-le si vous pensez que quelqu’un d’autre le connaît.",
    "Change password": "Changer le mot de passe",
    "On": "Activée",
    "Off": "Désactivée",
    "An authenticator app code is asked at sign-in.":
        "Un code de votre application d’authentification est demandé à la connexion.",
    "Add a code from an authenticator app to your password.":
        "Ajoutez à votre mot de passe un code issu d’une application d’authentification.",
    "Manage": "Gérer",
    "Turn on": "Activer",
    "Where you are signed in": "Où vous êtes connecté",
    "This browser": "Ce navigateur",
    "Signed in %(when)s": "Connexion %(when)s",
    "Sign out of %(device)s": "Déconnecter %(device)s",
    "Sign out everywhere else": "Se déconnecter partout ailleurs",
    "Linked accounts": "Comptes associés",
    "No account from another provider is linked to this one.": "Aucun compte d’un autre fournisseur n’est associé à celui-ci.",
    "%(browser)s on %(system)s": "%(browser)s sous %(system)s",
    "Unknown browser": "Navigateur inconnu",
    "just now": "à l’instant",
    "%(n)s min ago": "il y a %(n)s min",
    "%(n)s h ago": "il y a %(n)s h",
    "%(n)s days ago": "il y a %(n)s jours",
    "Your password was changed. Your other sessions were signed out.":
        "Votre mot de passe a été modifié. Vos autres sessions ont été déconnectées.",
    "That session was signed out.": "Cette session a été déconnectée.",
    "You were signed out everywhere else.": "Vous avez été déconnecté partout ailleurs.",
    "Current password": "Mot de passe actuel",
    "Your current password is not correct.": "Votre mot de passe actuel n’est pas correct.",
    "Enter your current password.": "Saisissez votre mot de passe actuel.",
    "Your other browsers and applications will be signed out.":
        "Vos autres navigateurs et applications seront déconnectés.",
    # MFA management
    "Two-step verification is off.": "La validation en deux étapes est désactivée.",
    "Two-step verification is on.": "La validation en deux étapes est activée.",
    "That code is not valid. Enter the 6 digits the app shows now.":
        "Ce code n’est pas valide. Saisissez les 6 chiffres que l’application affiche maintenant.",
    "This field is required.": "Ce champ est obligatoire.",
    "Your new recovery codes replace the old ones.": "Vos nouveaux codes de secours remplacent les anciens.",
    "Your recovery codes": "Vos codes de secours",
    "Each code signs you in once if you lose your phone. Keep them somewhere safe: they are shown only now.":
        "Chaque code permet une connexion si vous perdez votre téléphone. Gardez-les en lieu sûr : ils ne sont "
        "affichés qu’une seule fois.",
    "I have saved them": "Je les ai enregistrés",
    "Signing in asks for a code from your authenticator app.":
        "La connexion demande un code de votre application d’authentification.",
    "Recovery codes left: %(count)s": "Codes de secours restants : %(count)s",
    "Confirm it is you": "Confirmez votre identité",
    "New recovery codes": "Nouveaux codes de secours",
    "Turn off": "Désactiver",
    "Add a second step to your password: a 6-digit code from an authenticator app on your phone.":
        "Ajoutez une seconde étape à votre mot de passe : un code à 6 chiffres issu d’une application "
        "d’authentification sur votre téléphone.",
    "QR code to scan with your authenticator app": "QR code à scanner avec votre application d’authentification",
    "Scan with your authenticator app, or type this key:":
        "Scannez-le avec votre application d’authentification ou saisissez cette clé :",
    "Code from the app": "Code de l’application",
    "Turn on two-step verification": "Activer la validation en deux étapes",
    # consent
    "Allow access": "Autoriser l’accès",
    "Allow %(app)s?": "Autoriser %(app)s ?",
    "would like to:": "souhaite :",
    "Allow": "Autoriser",
    "Deny": "Refuser",
    "Sign you in with your account": "Vous connecter avec votre compte",
    "See your name": "Voir votre nom",
    "See your email address": "Voir votre adresse e-mail",
    "Keep access while you are away": "Garder l’accès en votre absence",
    # sign-out, home, errors
    "Sign out of %(brand)s on this browser?": "Se déconnecter de %(brand)s sur ce navigateur ?",
    "%(client)s asks to sign you out.": "%(client)s demande à vous déconnecter.",
    "You are signed out.": "Vous êtes déconnecté.",
    "You then go to %(destination)s, an address %(client)s registered.":
        "Vous irez ensuite à %(destination)s, une adresse enregistrée par %(client)s.",
    "Continue": "Continuer",
    "Welcome": "Bienvenue",
    "One account for every application of %(brand)s.": "Un seul compte pour toutes les applications de %(brand)s.",
    "Something went wrong": "Une erreur est survenue",
    "Error:": "Erreur :",
    "This sign-in request has expired. Start again from the application.":
        "Cette demande de connexion a expiré. Recommencez depuis l’application.",
    "Unknown application.": "Application inconnue.",
    "The form expired or was not sent by this site. Please try again.":
        "Le formulaire a expiré ou n’a pas été envoyé par ce site. Veuillez réessayer.",
    "An unexpected error occurred.": "Une erreur inattendue est survenue.",
    "The service is briefly unavailable. Try again.": "Le service est momentanément indisponible. Réessayez.",
    # emails
    "Hello %(name)s,": "Bonjour %(name)s,",
    "Confirm your email address for %(brand)s": "Confirmez votre adresse e-mail pour %(brand)s",
    "Open this link to confirm your email address and finish creating your account:":
        "Ouvrez ce lien pour confirmer votre adresse e-mail et terminer la création de votre compte :",
    "The link works once and expires in %(hours)s hours.": "Le lien ne sert qu’une fois et expire dans %(hours)s heures.",
    "If you did not create an account, ignore this email.": "Si vous n’avez pas créé de compte, ignorez cet e-mail.",
    "Someone tried to create a %(brand)s account with your email":
        "Quelqu’un a tenté de créer un compte %(brand)s avec votre adresse e-mail",
    "Someone tried to create a new account with this email address, but you already have one.":
        "Quelqu’un a tenté de créer un nouveau compte avec cette adresse e-mail, mais vous en avez déjà un.",
    "If it was you, sign in here:": "Si c’était vous, connectez-vous ici :",
    "Forgot your password? Reset it here:": "Mot de passe oublié ? Réinitialisez-le ici :",
    "If it was not you, you can ignore this email: nothing has changed.":
        "Si ce n’était pas vous, ignorez cet e-mail : rien n’a changé.",
    "Reset your %(brand)s password": "Réinitialisez votre mot de passe %(brand)s",
    "Open this link to choose a new password:": "Ouvrez ce lien pour choisir un nouveau mot de passe :",
    "The link works once and expires in %(minutes)s minutes.":
        "Le lien ne sert qu’une fois et expire dans %(minutes)s minutes.",
    "If you did not ask for this, ignore this email: your password stays the same.":
        "Si vous n’avez rien demandé, ignorez cet e-mail : votre mot de passe reste le même.",
    "Your %(brand)s password was changed": "Votre mot de passe %(brand)s a été modifié",
    "The password of your account was changed on %(when)s. You were signed out everywhere else.":
        "Le mot de passe de votre compte a été modifié le %(when)s. Vous avez été déconnecté partout ailleurs.",
    "If you did not do this, reset your password now and contact your administrator.":
        "Si ce n’était pas vous, réinitialisez votre mot de passe dès maintenant et contactez votre administrateur.",
    "New sign-in to your %(brand)s account": "Nouvelle connexion à votre compte %(brand)s",
    "Your account was used to sign in from a browser we had not seen before.":
        "Votre compte a servi à vous connecter depuis un navigateur que nous ne connaissions pas.",
    "When:": "Quand :",
    "IP address:": "Adresse IP :",
    "Browser:": "Navigateur :",
    "If this was you, there is nothing to do. If not, change your password and review where you are signed in:":
        "Si c’était vous, il n’y a rien à faire. Sinon, changez votre mot de passe et vérifiez où vous êtes connecté :",
    "Sign-in to your %(brand)s account was paused": "La connexion à votre compte %(brand)s est suspendue",
    "After %(count)s failed attempts, sign-in to your account is paused for %(duration)s.":
        "Après %(count)s tentatives échouées, la connexion à votre compte est suspendue pendant %(duration)s.",
    "If this was not you, someone may be guessing your password. You can choose a new one here:":
        "Si ce n’était pas vous, quelqu’un essaie peut-être de deviner votre mot de passe. Vous pouvez en choisir "
        "un nouveau ici :",
    # upstream federation (issue 5)
    "or": "ou",
    "Sign in with %(provider)s": "Se connecter avec %(provider)s",
    "Sign-in did not finish": "La connexion n’a pas abouti",
    "Back to sign-in": "Retour à la connexion",
    "You cancelled signing in with %(provider)s.": "Vous avez annulé la connexion avec %(provider)s.",
    "%(provider)s could not sign you in. Try again, or use another way to sign in.":
        "%(provider)s n’a pas pu vous connecter. Réessayez ou choisissez un autre moyen de connexion.",
    "%(provider)s is not responding right now. Try again in a moment.":
        "%(provider)s ne répond pas pour le moment. Réessayez dans un instant.",
    "The answer from %(provider)s could not be verified, so you were not signed in.":
        "La réponse de %(provider)s n’a pas pu être vérifiée : vous n’avez pas été connecté.",
    "This sign-in attempt is not valid or was already used. Start again from the sign-in page.":
        "Cette tentative de connexion n’est pas valide ou a déjà été utilisée. Recommencez depuis la page de "
        "connexion.",
    "Your %(provider)s account has no verified email address, so it cannot be used to sign in here. Verify it at "
    "%(provider)s, or sign in another way.":
        "Votre compte %(provider)s n’a pas d’adresse e-mail vérifiée : il ne peut pas servir à se connecter ici. "
        "Vérifiez-la chez %(provider)s ou connectez-vous autrement.",
    "No account here matches your %(provider)s account.":
        "Aucun compte ici ne correspond à votre compte %(provider)s.",
    "This account cannot sign in.": "Ce compte ne peut pas se connecter.",
    "Your %(provider)s account uses the email address of an existing account. Sign in to that account with its "
    "password to link them; then either way signs you in.":
        "Votre compte %(provider)s utilise l’adresse e-mail d’un compte existant. Connectez-vous à ce compte avec "
        "son mot de passe pour les associer ; ensuite, l’un comme l’autre vous connecte.",
    "Linked on %(date)s": "Associé le %(date)s",
    "Unlink %(provider)s": "Dissocier %(provider)s",
    "Unlink": "Dissocier",
    "Your only way to sign in": "Votre seul moyen de connexion",
    "That account is no longer linked.": "Ce compte n’est plus associé.",
    "You cannot unlink your only way to sign in. Set a password or link another account first.":
        "Vous ne pouvez pas dissocier votre seul moyen de connexion. Définissez d’abord un mot de passe ou "
        "associez un autre compte.",
    "That %(provider)s account is already linked to another account here.":
        "Ce compte %(provider)s est déjà associé à un autre compte ici.",
    "The account is linked: it now signs you in here too.":
        "Le compte est associé : il vous connecte désormais ici aussi.",
    "Not linked": "Non associé",
    "Link %(provider)s": "Associer %(provider)s",
    "Link": "Associer",
}
