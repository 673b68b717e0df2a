"""The benchmarks' yardstick: the same stack serving one row insert.

Served by gunicorn as `bench.baseline:application`: the project's URLs and
middleware, plus `POST /bench/insert`, which inserts one row and answers.
What a request costs on this machine at this moment, measured beside the
engine, turns the engine's figures into ratios that mean something on a
shared, noisy machine.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thoughtflow.settings")
application = get_wsgi_application()
# Only this server answers the extra route; the project's URLs stay as they are.
settings.ROOT_URLCONF = __name__

TABLE = "bench_insert"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL)"
)


@csrf_exempt
@require_POST
def insert_one(request: HttpRequest) -> JsonResponse:
    """Insert one row holding the posted form, as a webhook's cheapest reply."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (body, created_at) VALUES (%s, now()) RETURNING id",  # noqa: S608
            [request.POST.urlencode()],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=202)


urlpatterns = [
    path("bench/insert", insert_one),
    path("", include("thoughtflow.urls")),
]
