"""The values a step's templates may read, listed for the editor's autocomplete.

Everything here is derived from `workflows.definition`, the same source the
publish-time check of template reads uses: the fixed roots' attributes, the
trigger types' fields, each kind's outputs, and which steps and variables
come before a step. The workspace's contacts add their custom field names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection

from integrations.crm.models import Contact
from workflows.definition import (
    NODE_KINDS,
    ROOT_ATTRIBUTES,
    STEP_PORT_OUTPUT,
    TRIGGER_FIELDS,
    Reads,
    reads_at,
)

# Contact fields a CRM update or a form's field map sets directly; any other
# name they set is a custom field.
STANDARD_CONTACT_FIELDS = frozenset(
    {"phone", "first_name", "last_name", "email", "time_zone"}
)
MAX_CUSTOM_FIELDS = 200


@dataclass(frozen=True)
class Variable:
    path: str
    group: str
    description: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def variables_at(
    graph: Any, node_id: str, custom_fields: Iterable[str] = ()
) -> list[Variable] | None:
    """What a template in step `node_id` may read; None if there is no such step.

    `custom_fields` are names of contact custom fields known elsewhere,
    such as those the workspace's contacts already have.
    """
    reads = reads_at(graph, node_id)
    if reads is None:
        return None
    return [
        *_contact(reads, custom_fields),
        *_fixed("workspace", "Workspace"),
        *_fixed("run", "Run"),
        *_trigger(reads.trigger),
        *_vars(reads),
        *(variable for node in reads.upstream for variable in _outputs(node)),
    ]


def custom_field_names(workspace_id: int) -> list[str]:
    """The custom field names the workspace's contacts have, sorted."""
    # Custom fields are keys of a JSON column, which the ORM can't list; the
    # database does, without loading every contact. Only the table name,
    # from the model, is put into the SQL.
    table = connection.ops.quote_name(Contact._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (
            "SELECT DISTINCT jsonb_object_keys(custom_fields) AS name "  # noqa: S608
            f"FROM {table} WHERE workspace_id = %s "
            "AND jsonb_typeof(custom_fields) = 'object' ORDER BY name LIMIT %s"
        )
    else:
        sql = (
            "SELECT DISTINCT field.key AS name "  # noqa: S608
            f"FROM {table}, json_each({table}.custom_fields) AS field "
            f"WHERE {table}.workspace_id = %s "
            f"AND json_type({table}.custom_fields) = 'object' ORDER BY name LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace_id, MAX_CUSTOM_FIELDS])
        return [row[0] for row in cursor.fetchall()]


def _contact(reads: Reads, custom_fields: Iterable[str]) -> Iterator[Variable]:
    for name, description in ROOT_ATTRIBUTES["contact"].items():
        yield Variable(f"contact.{name}", "Contact", description)

    # Custom fields the workflow itself fills in before this step exist
    # by the time it runs, even if no contact has them yet.
    names = set(custom_fields)
    for node in [reads.trigger, *reads.upstream]:
        config = (node or {}).get("config") or {}
        for key in ("field_map", "fields"):
            if isinstance(config.get(key), Mapping):
                names.update(config[key])
    for name in sorted(n for n in names if n not in STANDARD_CONTACT_FIELDS):
        yield Variable(f"contact.fields.{name}", "Contact", "A custom field.")


def _fixed(root: str, group: str) -> Iterator[Variable]:
    for name, description in ROOT_ATTRIBUTES[root].items():
        yield Variable(f"{root}.{name}", group, description)


def _trigger(trigger: Mapping[str, Any] | None) -> Iterator[Variable]:
    config = (trigger or {}).get("config") or {}
    trigger_type = str(config.get("type"))
    for path, description in TRIGGER_FIELDS.get(trigger_type, {}).items():
        yield Variable(f"trigger.{path}", "Trigger", description)

    if trigger_type != "webhook":
        return
    # A webhook's form fields are whatever the form posts; those the
    # trigger names are surely there.
    named = dict.fromkeys(
        path
        for path in [
            *(config.get("field_map") or {}).values(),
            config.get("consent_field"),
        ]
        if isinstance(path, str) and path.startswith("form.")
    )
    for path in named:
        yield Variable(f"trigger.{path}", "Trigger", "A field the form posts.")


def _vars(reads: Reads) -> Iterator[Variable]:
    labels = {node.get("id"): _label(node) for node in reads.upstream}
    for name, setter_id in sorted(reads.variables.items()):
        setter = labels.get(setter_id, setter_id)
        yield Variable(f"vars.{name}", "Variables", f"Set by {setter}.")


def _outputs(node: Mapping[str, Any]) -> Iterator[Variable]:
    kind = NODE_KINDS.get(str(node.get("kind")))
    if kind is None:
        return
    prefix, group = f"steps.{node['id']}", f"Step {_label(node)}"
    config = node.get("config") or {}
    for key, description in (STEP_PORT_OUTPUT, *kind.outputs):
        if key == "outcome" and (names := _outcome_names(kind.name, config)):
            description = f"{description} One of: {', '.join(names)}."
        yield Variable(f"{prefix}.{key}", group, description)
        if key == "fields" and kind.name == "agent_sms":
            for field, outcome in _captured_fields(config):
                yield Variable(
                    f"{prefix}.fields.{field}",
                    group,
                    f"Captured with the outcome '{outcome}'.",
                )


def _outcome_names(kind: str, config: Mapping[str, Any]) -> list[str]:
    outcomes = config.get("outcomes")
    if not isinstance(outcomes, list):
        return []
    if kind == "human_handoff":
        return [name for name in outcomes if isinstance(name, str)]
    return [
        outcome["name"]
        for outcome in outcomes
        if isinstance(outcome, Mapping) and isinstance(outcome.get("name"), str)
    ]


def _captured_fields(config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, outcome) for each field the agent's outcomes capture, once each."""
    seen: set[str] = set()
    for outcome in config.get("outcomes") or []:
        if not isinstance(outcome, Mapping):
            continue
        for field in outcome.get("fields") or []:
            name = field.get("name") if isinstance(field, Mapping) else None
            if isinstance(name, str) and name not in seen:
                seen.add(name)
                yield name, str(outcome.get("name"))


def _label(node: Mapping[str, Any]) -> str:
    return f"'{node.get('label') or node.get('id')}'"
