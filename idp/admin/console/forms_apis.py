"""The forms of the API and group pages (issue 21); Flask-WTF adds and checks the CSRF token on each.
Their fields are only capped in length here: the services check every value and name what is wrong."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length


class ApiForm(FlaskForm):
    identifier = StringField("Identifier", validators=[Length(max=2048)])
    name = StringField("Name", validators=[Length(max=255)])
    scopes = TextAreaField("Scopes", validators=[Length(max=120_000)])
    role_scopes = StringField("Scopes that need a role", validators=[Length(max=13_000)])
    access_token_ttl = StringField("Access-token lifetime", validators=[Length(max=12)])
    dpop_only = BooleanField("DPoP-bound tokens only")
    resource_server = StringField("Resource server", validators=[Length(max=64)])
    version = HiddenField(validators=[Length(max=64)])
    claim_mappings = TextAreaField("Claims", validators=[Length(max=16_384)])  # issue 35


class RoleForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=255)])
    scopes = StringField("Scopes", validators=[Length(max=13_000)])
    description = StringField("Description", validators=[Length(max=1000)])


class GroupForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=255)])
