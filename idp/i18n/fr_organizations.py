"""French translations of organizations' pages (issue 33): the organization picker and invitations,
keyed by the English text (merged into the catalogue by idp/i18n/__init__.py)."""

FR: dict[str, str] = {
    "Choose an organization": "Choisissez une organisation",
    "Invitation": "Invitation",
    "Join": "Rejoindre",
    "Join %(org)s": "Rejoindre %(org)s",
    "Or type its name": "Ou saisissez son nom",
    "This application signs you in to one of your organizations.":
        "Cette application vous connecte à l’une de vos organisations.",
    "This invitation is for": "Cette invitation est destinée à",
    "Welcome to %(org)s": "Bienvenue dans %(org)s",
    "You are not a member of any organization yet.": "Vous n’êtes encore membre d’aucune organisation.",
    "You are now a member.": "Vous êtes désormais membre.",
    "create your account": "créez votre compte",
    "with this address, then open the link again.": "avec cette adresse, puis ouvrez de nouveau le lien.",
    # the console's organization pages (issue 33)
    "%(days)s days": "%(days)s jours",
    "%(member)s leaves %(organization)s and loses the roles held in it.":
        "%(member)s quitte %(organization)s et perd les rôles qu’il y détient.",
    "A domain is verified once its DNS holds the TXT record shown: then its users may join.":
        "Un domaine est vérifié dès que son DNS contient l’enregistrement TXT indiqué : ses utilisateurs peuvent alors rejoindre.",
    "A group's roles count in this organization's tokens only.":
        "Les rôles d’un groupe ne comptent que dans les jetons de cette organisation.",
    "Claim the domain": "Revendiquer le domaine",
    "Create my account and join": "Créer mon compte et rejoindre",
    "Create the organization": "Créer l’organisation",
    "Create your account to join: your email address is confirmed by this link.":
        "Créez votre compte pour rejoindre : ce lien confirme votre adresse e-mail.",
    "Delete %(name)s?": "Supprimer %(name)s ?",
    "Delete the organization": "Supprimer l’organisation",
    "Domain": "Domaine",
    "Email domains": "Domaines de messagerie",
    "Email or id of a member of the organization": "E-mail ou identifiant d’un membre de l’organisation",
    "Email to invite": "E-mail à inviter",
    "Invitations": "Invitations",
    "Its link stops working at once; the invitation leaves the list.":
        "Son lien cesse aussitôt de fonctionner ; l’invitation quitte la liste.",
    "Its members' next tokens for %(organization)s no longer carry its roles.":
        "Les prochains jetons de ses membres pour %(organization)s ne portent plus ses rôles.",
    "Lowercase letters, digits and inner hyphens: what users type at sign-in.":
        "Minuscules, chiffres et tirets intérieurs : ce que les utilisateurs saisissent à la connexion.",
    "New organization": "Nouvelle organisation",
    "No domain yet.": "Aucun domaine pour l’instant.",
    "No invitation yet.": "Aucune invitation pour l’instant.",
    "No member yet.": "Aucun membre pour l’instant.",
    "No organization matches.": "Aucune organisation ne correspond.",
    "No organization yet.": "Aucune organisation pour l’instant.",
    "Not a role (org:admin or API_IDENTIFIER#ROLE): %(lines)s":
        "Pas un rôle (org:admin ou IDENTIFIANT_API#RÔLE) : %(lines)s",
    "Organizations": "Organisations",
    "Remove %(domain)s": "Retirer %(domain)s",
    "Remove %(domain)s?": "Retirer %(domain)s ?",
    "Revoke the invitation of %(email)s": "Révoquer l’invitation de %(email)s",
    "Revoke the invitation of %(email)s?": "Révoquer l’invitation de %(email)s ?",
    "Roles in %(organization)s, one a line (API_IDENTIFIER#ROLE)":
        "Rôles dans %(organization)s, un par ligne (IDENTIFIANT_API#RÔLE)",
    "Roles, one a line (org:admin or API_IDENTIFIER#ROLE)": "Rôles, un par ligne (org:admin ou IDENTIFIANT_API#RÔLE)",
    "Save the roles": "Enregistrer les rôles",
    "Save the settings": "Enregistrer les réglages",
    "Search by a part of the slug or the name": "Rechercher par une partie de l’identifiant court ou du nom",
    "Send the invitation": "Envoyer l’invitation",
    "Settings": "Réglages",
    "Slug": "Identifiant court",
    "Someone changed this meanwhile: nothing was saved. Look again, then retry.":
        "Quelqu’un l’a modifié entre-temps : rien n’a été enregistré. Regardez de nouveau, puis réessayez.",
    "TXT record at": "Enregistrement TXT en",
    "The form expired. Try again.": "Le formulaire a expiré. Réessayez.",
    "The link works for": "Le lien fonctionne pendant",
    "The roles %(email)s holds in %(organization)s: their next token for it carries them.":
        "Les rôles de %(email)s dans %(organization)s : son prochain jeton pour elle les porte.",
    "There is no such group in this organization.": "Ce groupe n’existe pas dans cette organisation.",
    "There is no such organization.": "Cette organisation n’existe pas.",
    "This user is not a member of the organization.": "Cet utilisateur n’est pas membre de l’organisation.",
    "User's email or id": "E-mail ou identifiant de l’utilisateur",
    "Users of %(domain)s no longer join on sign-in, and it must be verified again if claimed again.":
        "Les utilisateurs de %(domain)s ne rejoignent plus à la connexion, et il faudra le vérifier de nouveau "
        "s’il est revendiqué de nouveau.",
    "Users whose verified email is in a verified domain join on their first sign-in":
        "Les utilisateurs dont l’e-mail vérifié est dans un domaine vérifié rejoignent à leur première connexion",
    "Verify %(domain)s": "Vérifier %(domain)s",
    "accepted": "acceptée",
    "expired": "expirée",
    "no roles": "aucun rôle",
    "not verified": "non vérifié",
    "one of %(days)s days": "l’une de ces durées : %(days)s jours",
    "there is no user with this email or id": "aucun utilisateur n’a cet e-mail ou cet identifiant",
    "until %(when)s": "jusqu’au %(when)s",
    "verified": "vérifié",
    "with the value": "avec la valeur",
    "with this address to accept the invitation.": "avec cette adresse pour accepter l’invitation.",
    "The organization was created.": "L’organisation a été créée.",
    "The settings were saved.": "Les réglages ont été enregistrés.",
    "The member's roles were saved.": "Les rôles du membre ont été enregistrés.",
    "The invitation was sent by email.": "L’invitation a été envoyée par e-mail.",
    "The invitation was revoked: its link no longer works.": "L’invitation a été révoquée : son lien ne fonctionne plus.",
    "The domain was claimed: publish its TXT record, then verify it.":
        "Le domaine a été revendiqué : publiez son enregistrement TXT, puis vérifiez-le.",
    "The domain is verified.": "Le domaine est vérifié.",
    "The domain was removed.": "Le domaine a été retiré.",
    "The group was deleted.": "Le groupe a été supprimé.",
    "The group's roles were saved.": "Les rôles du groupe ont été enregistrés.",
    "1 to 255 printable characters": "1 à 255 caractères imprimables",
    "This invitation link is not valid or was already used.": "Ce lien d’invitation n’est pas valide ou a déjà servi.",
    "This invitation has expired: ask for a new one.": "Cette invitation a expiré : demandez-en une nouvelle.",
}
