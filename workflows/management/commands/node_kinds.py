"""Print the node kinds as GET /api/node-kinds/ serves them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.definition import kind_schemas


class Command(BaseCommand):
    help = (
        "Print every node kind (label, config schema, ports, template and SMS "
        "fields) as JSON, exactly as GET /api/node-kinds/ serves it. With "
        "--output, write it to a file instead."
    )
    # Reads only code: the system checks would merely warn that the
    # frontend isn't built when the fixture is regenerated before a build.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", help="A file to write, replacing what it holds."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = json.dumps(kind_schemas(), indent=2, ensure_ascii=False) + "\n"
        if not options["output"]:
            self.stdout.write(text, ending="")
            return

        path = Path(options["output"])
        if not path.parent.is_dir():
            raise CommandError(
                f"Can't write {path}: the folder {path.parent} doesn't exist. "
                "Create it, or give another --output."
            )
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {len(kind_schemas())} node kinds to {path}.")
