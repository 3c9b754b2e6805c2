"""The console's forms; Flask-WTF adds and checks the CSRF token on each (the app's CSRFProtect
refuses any POST without it before a view runs)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class ConsoleSignOutForm(FlaskForm):
    pass


class ActionForm(FlaskForm):
    """A destructive action: the first POST shows a confirmation page, the second (confirmed=yes) acts."""

    confirmed = HiddenField(validators=[Length(max=3)])


class UserMetadataForm(FlaskForm):
    """app_metadata and user_metadata as JSON text (issue 35), written under the version read."""
    app_metadata = TextAreaField("App metadata", validators=[Length(max=1_048_576)])
    user_metadata = TextAreaField("User metadata", validators=[Length(max=1_048_576)])
    version = HiddenField(validators=[Length(max=64)])


class KeyRotateForm(ActionForm):
    alg = HiddenField(validators=[DataRequired(), Length(max=16)])
    force = HiddenField(validators=[Length(max=3)])


class AdministratorGrantForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired(), Length(max=320)])


class RegistrationTokenForm(FlaskForm):
    """Checked by the page (uses: digits only; expires_in: one of the lifetimes offered) and the service."""

    uses = StringField("Uses", validators=[DataRequired(), Length(max=6)])
    expires_in = StringField("Lifetime", validators=[DataRequired(), Length(max=8)])


class KeyImportForm(FlaskForm):
    """A private key as PEM or a JWK (JSON); never rendered back into a page, not even on a refusal."""

    key = TextAreaField("Private key", validators=[DataRequired(), Length(max=16_384)])
    alg = StringField("Algorithm", validators=[Length(max=16)])


class UserCreateForm(FlaskForm):
    """Bounded here; judged by the service (UserAdmin.create: the email, the name, the password policy)."""

    email = StringField("Email", validators=[Length(max=1024)])
    name = StringField("Name", validators=[Length(max=1024)])
    password = PasswordField("Password", validators=[Length(max=1024)])
    send_email = StringField("Email to send", validators=[Length(max=16)])
    email_verified = BooleanField("The email address is verified")


class WebhookForm(FlaskForm):
    """A webhook endpoint; its event types are the checked boxes (request.form.getlist), checked by
    the service (idp/events/admin.py) as every entry is."""

    url = StringField("URL", validators=[DataRequired(), Length(max=2048)])
    description = StringField("Description", validators=[Length(max=255)])
