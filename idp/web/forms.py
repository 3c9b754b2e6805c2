"""Forms of the hosted pages; Flask-WTF adds and checks the CSRF token on each."""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    interaction = HiddenField()
    next = HiddenField()  # only the device page (see login.safe_next)
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ConsentForm(FlaskForm):
    interaction = HiddenField(validators=[DataRequired()])
    allow = SubmitField("Allow")
    deny = SubmitField("Deny")


class LogoutForm(FlaskForm):
    logout_request = HiddenField()  # an RP-initiated logout waiting for confirmation


class DeviceCodeForm(FlaskForm):
    user_code = StringField("Code", validators=[DataRequired(), Length(max=32)])


class DeviceConsentForm(FlaskForm):
    user_code = HiddenField(validators=[DataRequired(), Length(max=32)])
    allow = SubmitField("Allow")
    deny = SubmitField("Deny")
