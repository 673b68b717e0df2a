"""ASGI entry point: HTTP through Django, websockets through Channels.

Websocket routes are collected here from each app's `routing.py` as apps
gain real-time features.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thoughtflow.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from conversations.routing import websocket_urlpatterns as inbox_routes  # noqa: E402
from workflows.routing import websocket_urlpatterns as workflow_routes  # noqa: E402

websocket_urlpatterns: list = [*workflow_routes, *inbox_routes]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
