from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from thoughtflow.logs import workspace_id_var
from thoughtflow.models import ApiKey


class ApiKeyPrincipal:
    """Stands in for `request.user` when a program calls with an API key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, key: ApiKey) -> None:
        self.key = key

    def __str__(self) -> str:
        return f"api key {self.key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate `Authorization: Bearer tf_<prefix>_<secret>`."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode(
            "latin-1", errors="replace"
        )
        scheme, _, token = header.partition(" ")
        if scheme != self.keyword:
            return None

        key = ApiKey.find_active(token.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(
                "This API key is not valid or has been revoked. Ask a workspace "
                "admin for a new key."
            )
        key.touch()
        workspace_id_var.set(key.workspace_id)
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
