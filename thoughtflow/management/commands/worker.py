"""Run a django-q2 cluster and, beside it, the claimer loop.

`manage.py qcluster` alone runs queued tasks; this command adds the loop
that re-finds due work in the database (see thoughtflow/claimer.py), so a
lost queue message only delays work. Stop it with SIGTERM or Ctrl-C.
"""

from typing import Any

from django.core.management.base import BaseCommand
from django_q.cluster import Cluster

from thoughtflow.claimer import run_claimers


class Command(BaseCommand):
    help = "Run task workers and the claimer of due work."

    def handle(self, *args: Any, **options: Any) -> None:
        cluster = Cluster()
        cluster.start()
        # The cluster's own signal handlers stop its sentinel; the loop ends
        # when the sentinel is gone.
        run_claimers(should_stop=lambda: not cluster.sentinel.is_alive())
