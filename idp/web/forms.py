"""Forms of the hosted pages; Flask-WTF adds and checks the CSRF token on each.

Labels and errors are rendered by templates/_fields.html in the page's language; the
validators here only bound sizes. Policy checks (passwords) live in idp/accounts/passwords.py.
"""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LoginForm(FlaskForm):
    interaction = HiddenField()
    next = HiddenField()  # only the device page (see login.safe_next)
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    # Empty on the identifier step: an email routed to an organization's connection needs none
    # (home-realm discovery, idp/web/org_connections.py); any other email is then asked for it.
    password = PasswordField("Password", validators=[Length(max=1024)])


class ConsentForm(FlaskForm):
    interaction = HiddenField(validators=[DataRequired()])
    allow = SubmitField("Allow")
    deny = SubmitField("Deny")


class LogoutForm(FlaskForm):
    logout_request = HiddenField()  # an RP-initiated logout waiting for confirmation


class RegisterForm(FlaskForm):
    interaction = HiddenField()
    name = StringField("Full name", validators=[DataRequired(), Length(max=255)])
    email = EmailField("Email", validators=[DataRequired(), EMAIL, Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class SecondFactorForm(FlaskForm):
    interaction = HiddenField()
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])


class TokenForm(FlaskForm):
    """A page opened by an emailed link: the link's token rides in a hidden field to the POST."""

    token = HiddenField(validators=[DataRequired(), Length(max=128)])
    interaction = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])


class ResetPasswordForm(TokenForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])


class ConfirmPasswordForm(FlaskForm):
    """Re-authentication before a sensitive change (OWASP ASVS 3.7.1)."""

    password = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])


class EnrolTotpForm(ConfirmPasswordForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])


class ProfileFieldsForm(FlaskForm):
    """Only the CSRF token: the fields are the operator's (USER_METADATA_FIELDS), read by name."""


class EndSessionForm(FlaskForm):
    handle = HiddenField()


class DeviceCodeForm(FlaskForm):
    user_code = StringField("Code", validators=[DataRequired(), Length(max=32)])


class DeviceConsentForm(FlaskForm):
    user_code = HiddenField(validators=[DataRequired(), Length(max=32)])
    allow = SubmitField("Allow")
    deny = SubmitField("Deny")
class FederatedStartForm(FlaskForm):
    """The "Sign in with <provider>" button: a POST with the CSRF token and the interaction."""

    interaction = HiddenField(validators=[Length(max=64)])
    link = HiddenField(validators=[Length(max=1)])  # "1": link to the signed-in account (the account page)


class UnlinkForm(FlaskForm):
    provider = HiddenField(validators=[DataRequired(), Length(max=32)])
    subject = HiddenField(validators=[DataRequired(), Length(max=255)])


class RevokeAppForm(FlaskForm):
    """Connected apps: the first POST asks for confirmation, the second (confirmed=yes) revokes."""

    client_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    confirmed = HiddenField(validators=[Length(max=3)])
