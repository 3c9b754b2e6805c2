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


class ClientForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    redirect_uris = TextAreaField("Redirect URIs", validators=[Length(max=8192)])
    allowed_origins = TextAreaField("Allowed origins", validators=[Length(max=8192)])
    scope = StringField("Scopes", validators=[DataRequired(), Length(max=1024)])
    public = BooleanField("Public client (no secret: a browser or mobile app, with PKCE)")
    # RFC 8693 (docs/token-exchange.md): shown for confidential clients being edited
    token_exchange = BooleanField("May exchange users' tokens for tokens for other APIs")
    exchange_impersonation = BooleanField("May impersonate users (an exchange without an actor token)")
    exchange_refresh_tokens = BooleanField("May get refresh tokens from an exchange (with offline_access)")


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
