"""Workflow templates: the example workflows a new workflow can start from.

Each file in `workflows/examples/` is a workflow export (the format of
`services.export_workflow`); its file name, without `.json`, is the
template's slug. The same files seed the demo workspace, and their agent
test conversations run in the test suite.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thoughtflow.errors import ThoughtflowError

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


class UnknownTemplate(ThoughtflowError):
    code = "unknown_template"
    message = "There is no workflow template '{slug}'. Choose one of: {choices}."


@dataclass(frozen=True)
class Template:
    slug: str
    name: str
    description: str
    trigger_type: str
    node_count: int
    export: dict[str, Any]

    def copy_of_export(self) -> dict[str, Any]:
        """The export, safe to change: workflows made from it share nothing."""
        return copy.deepcopy(self.export)


def templates() -> list[Template]:
    """Every workflow template, by name."""
    return sorted(_load().values(), key=lambda template: template.name)


def get_template(slug: str) -> Template:
    """The template named `slug`; raises UnknownTemplate."""
    # Looked up among the files found, never turned into a path: a slug
    # from a request can't reach outside the examples.
    found = _load().get(slug)
    if found is None:
        raise UnknownTemplate(slug=slug, choices=", ".join(sorted(_load())))
    return found


@functools.cache
def _load() -> dict[str, Template]:
    found = {}
    for path in sorted(EXAMPLES_DIR.glob("*.json")):
        export = json.loads(path.read_text(encoding="utf-8"))
        nodes = export["graph"]["nodes"]
        trigger = next(node for node in nodes if node["kind"] == "trigger")
        found[path.stem] = Template(
            slug=path.stem,
            name=export["name"],
            description=export.get("description", ""),
            trigger_type=trigger["config"]["type"],
            node_count=len(nodes),
            export=export,
        )
    return found
