import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from workflows.definition import kind_schemas

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "frontend"
    / "src"
    / "builder"
    / "form"
    / "nodeKinds.json"
)


def served_kinds() -> object:
    return json.loads(json.dumps(kind_schemas()))


def test_browser_fixture_equals_the_served_node_kinds() -> None:
    """The form tests render this file; stale, they test forms nobody sees."""
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))

    assert fixture == served_kinds(), (
        f"{FIXTURE.name} no longer matches kind_schemas(). Regenerate it with "
        "scripts/update-node-kinds-fixture, then commit it."
    )


def test_node_kinds_command_prints_the_served_kinds() -> None:
    out = io.StringIO()

    call_command("node_kinds", stdout=out)

    assert json.loads(out.getvalue()) == served_kinds()


def test_node_kinds_command_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "kinds.json"
    out = io.StringIO()

    call_command("node_kinds", output=str(target), stdout=out)

    assert json.loads(target.read_text(encoding="utf-8")) == served_kinds()
    assert out.getvalue() == f"Wrote {len(served_kinds())} node kinds to {target}.\n"


def test_node_kinds_command_refuses_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "kinds.json"

    with pytest.raises(CommandError, match=r"the folder .* doesn't exist"):
        call_command("node_kinds", output=str(target))
