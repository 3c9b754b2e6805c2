"""The OpenAPI 3.1 description of the JSON endpoints, served at /openapi.json.

Hand-written so that it says what the specs say (RFC 6749, 7009, 7662, OIDC Core and
Discovery), and kept true by tests/test_openapi.py, which runs schemathesis against it.
The hosted HTML pages and /authorize (a browser redirect) are not JSON APIs and are not here.
"""

from __future__ import annotations

import functools
import hashlib
import json

from idp.admin.api import openapi as admin_api
from idp.admin.api import openapi_apis as admin_api_apis
from idp.admin.api import openapi_clients as admin_api_clients
from idp.admin.api import openapi_holdings as admin_api_holdings
from idp.admin.api import openapi_migration as admin_api_migration
from idp.admin.api import openapi_operations as admin_api_operations
from idp.admin.api import openapi_connections as admin_api_connections
from idp.admin.api import openapi_organizations as admin_api_organizations
from idp.admin.api import openapi_webhooks as admin_api_webhooks

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, media_type: str = JSON, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {media_type: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _form(properties: dict, required: list[str] | None = None) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"required": True, "content": {FORM: {"schema": schema}}}


_STRING = {"type": "string"}
_OAUTH_ERROR = _json(_ref("OAuthError"), "an OAuth error (RFC 6749 5.2)")
_STRINGS = {"type": "array", "items": {"type": "string"}}
_CLIENT_AUTH_ERROR = _json(_ref("OAuthError"), "client authentication failed (RFC 6749 5.2 invalid_client)",
                           headers={"WWW-Authenticate": {"schema": _STRING}})
_BEARER_ERROR = _json(_ref("OAuthError"), "missing, invalid or insufficient bearer token (RFC 6750 3.1)",
                      headers={"WWW-Authenticate": {"required": True, "schema": _STRING}})
_METADATA = {
    "tags": ["discovery"],
    "responses": {"200": _json(_ref("ProviderMetadata"), "the provider metadata")},
}
_CLIENT_AUTH = [{"clientSecretBasic": []}, {}]  # client_secret_post and public clients send no header
_TOKEN_FORM = {"token": _STRING, "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]},
               "client_id": _STRING, "client_secret": _STRING}


def spec(issuer: str) -> dict:
    document = _provider_spec(issuer)
    document["paths"].update(admin_api.paths())  # /admin/api/v1 (issue 15)
    document["components"]["schemas"].update(admin_api.schemas())
    document["paths"].update(admin_api_clients.paths())  # its clients and keys
    document["components"]["schemas"].update(admin_api_clients.schemas())
    document["paths"].update(admin_api_operations.paths())  # mail, registration tokens, admins, key import
    document["components"]["schemas"].update(admin_api_operations.schemas())
    document["paths"].update(admin_api_apis.paths())  # its registered APIs and groups (issue 21)
    document["components"]["schemas"].update(admin_api_apis.schemas())
    document["paths"].update(admin_api_migration.paths())  # user imports (issue 32)
    document["components"]["schemas"].update(admin_api_migration.schemas())
    document["paths"].update(admin_api_organizations.paths())  # its organizations (issue 33)
    document["components"]["schemas"].update(admin_api_organizations.schemas())
    document["paths"].update(admin_api_connections.paths())  # their enterprise connections (issue 33)
    document["components"]["schemas"].update(admin_api_connections.schemas())
    document["paths"].update(admin_api_holdings.paths())  # who holds what (issue 34)
    document["components"]["schemas"].update(admin_api_holdings.schemas())
    admin_api_holdings.add_search(document)  # ?q= on the users, clients, APIs and groups lists
    document["paths"].update(admin_api_webhooks.paths())  # signed webhooks (issue 35)
    document["components"]["schemas"].update(admin_api_webhooks.schemas())
    return document


def _provider_spec(issuer: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "idp: OpenID Connect provider", "version": "1",
                 "description": "The JSON endpoints of the provider; sign-in pages and /authorize are for browsers."},
        "servers": [{"url": issuer}],
        "paths": {
            "/.well-known/openid-configuration": {"get": {"operationId": "openidConfiguration", **_METADATA}},
            "/.well-known/oauth-authorization-server": {"get": {"operationId": "oauthMetadata", **_METADATA}},
            "/jwks.json": {"get": {
                "operationId": "jwks", "tags": ["discovery"],
                "responses": {"200": _json(_ref("JWKSet"), "public signing keys (RFC 7517 5)",
                                           media_type="application/jwk-set+json")}}},
            "/token": {"post": {
                "operationId": "token", "tags": ["oauth"], "security": _CLIENT_AUTH,
                "requestBody": _form({
                    "grant_type": {"type": "string",
                                   "enum": ["authorization_code", "refresh_token", "client_credentials"]},
                    "code": _STRING, "redirect_uri": _STRING, "code_verifier": _STRING,
                    "refresh_token": _STRING, "scope": _STRING, "client_id": _STRING, "client_secret": _STRING,
                    "resource": _STRING,  # RFC 8707 2 (may repeat): a registered API's identifier
                }, ["grant_type"]),
                "responses": {"200": _json(_ref("TokenResponse"), "tokens (RFC 6749 5.1)"),
                              "400": _OAUTH_ERROR, "401": _CLIENT_AUTH_ERROR}}},
            "/userinfo": {
                method: {
                    "operationId": f"userinfo{method.title()}", "tags": ["oidc"], "security": [{"bearer": []}],
                    "responses": {"200": _json(_ref("UserInfo"), "claims about the user (OIDC Core 5.3.2)"),
                                  "400": _BEARER_ERROR, "401": _BEARER_ERROR, "403": _BEARER_ERROR}}
                for method in ("get", "post")},
            "/introspect": {"post": {
                "operationId": "introspect", "tags": ["oauth"], "security": [{"clientSecretBasic": []}, {}],
                "requestBody": _form(_TOKEN_FORM, ["token"]),
                "responses": {"200": _json(_ref("Introspection"), "the token's state (RFC 7662 2.2)"),
                              "400": _OAUTH_ERROR, "401": _CLIENT_AUTH_ERROR}}},
            "/revoke": {"post": {
                "operationId": "revoke", "tags": ["oauth"], "security": _CLIENT_AUTH,
                "requestBody": _form(_TOKEN_FORM, ["token"]),
                "responses": {"200": {"description": "revoked, or unknown (RFC 7009 2.2)"},
                              "400": _OAUTH_ERROR, "401": _CLIENT_AUTH_ERROR}}},
            "/health": {"get": {
                "operationId": "health", "tags": ["operations"],
                "responses": {"200": _json({"type": "object", "required": ["status"],
                                            "properties": {"status": {"const": "ok"}}}, "the process answers")}}},
            "/ready": {"get": {
                "operationId": "ready", "tags": ["operations"],
                "responses": {"200": _json(_ref("Readiness"), "database and Redis answer"),
                              "503": _json(_ref("Readiness"), "a dependency is down; checks names it")}}},
            "/openapi.json": {"get": {
                "operationId": "openapi", "tags": ["operations"],
                "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]}, "this document")}}},
        },
        "components": {
            "securitySchemes": {
                "clientSecretBasic": {"type": "http", "scheme": "basic",
                                      "description": "client_id and client_secret (RFC 6749 2.3.1)"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (RFC 9068)"},
            },
            "schemas": {
                "OAuthError": {"type": "object", "required": ["error"], "properties": {
                    "error": _STRING, "error_description": _STRING, "error_uri": _STRING, "state": _STRING}},
                "TokenResponse": {"type": "object", "required": ["access_token", "token_type", "expires_in"],
                                  "properties": {"access_token": _STRING, "token_type": {"const": "Bearer"},
                                                 "expires_in": {"type": "integer"}, "refresh_token": _STRING,
                                                 "id_token": _STRING, "scope": _STRING}},
                "UserInfo": {"type": "object", "required": ["sub"], "properties": {
                    "sub": _STRING, "name": _STRING, "email": _STRING, "email_verified": {"type": "boolean"},
                    "updated_at": {"type": "integer"}, "groups": _STRINGS, "roles": _STRINGS}},
                "Introspection": {"type": "object", "required": ["active"], "properties": {
                    "active": {"type": "boolean"}, "scope": _STRING, "client_id": _STRING, "sub": _STRING,
                    "token_type": _STRING, "exp": {"type": "integer"}, "iat": {"type": "integer"},
                    "iss": _STRING, "jti": _STRING, "auth_time": {"type": "integer"},
                    "aud": {"oneOf": [_STRING, {"type": "array", "items": _STRING}]},
                    "groups": _STRINGS, "roles": _STRINGS, "entitlements": _STRINGS}},  # RFC 9068 2.2.3.1
                "JWKSet": {"type": "object", "required": ["keys"], "properties": {"keys": {
                    "type": "array", "items": {"type": "object", "required": ["kty", "kid"], "properties": {
                        "kty": _STRING, "kid": _STRING, "use": _STRING, "alg": _STRING, "n": _STRING, "e": _STRING},
                        "not": {"anyOf": [{"required": [m]} for m in ("d", "p", "q", "dp", "dq", "qi")]}}}}},
                "ProviderMetadata": {
                    "type": "object",
                    "required": ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
                                 "response_types_supported", "subject_types_supported",
                                 "id_token_signing_alg_values_supported"],
                    "properties": {"issuer": {"const": issuer}, "jwks_uri": {"const": f"{issuer}/jwks.json"},
                                   "authorization_endpoint": _STRING, "token_endpoint": _STRING,
                                   "response_types_supported": {"type": "array", "items": _STRING}}},
                "Readiness": {"type": "object", "required": ["status", "checks"], "properties": {
                    "status": {"enum": ["ok", "unavailable"]},
                    "checks": {"type": "object", "additionalProperties": _STRING}}},
            },
        },
    }


@functools.lru_cache(maxsize=4)
def document(issuer: str) -> tuple[bytes, str]:
    body = json.dumps(spec(issuer), separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:32]
