"""WSGI entry point, for serving HTTP with a sync server such as gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thoughtflow.settings")
application = get_wsgi_application()
