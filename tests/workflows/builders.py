"""Small workflow graphs for tests."""

from typing import Any

from workflows import services
from workflows.models import Workflow


def node(node_id: str, kind: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "config": config, "position": {"x": 0, "y": 0}}


def edge(source: str, port: str, target: str | None) -> dict[str, Any]:
    return {"source": source, "port": port, "target": target}


def webhook_trigger(**config: Any) -> dict[str, Any]:
    return node(
        "start",
        "trigger",
        type="webhook",
        field_map={"phone": "form.phone", "first_name": "form.name"},
        **config,
    )


def minute_wait(workspace: Any, result: str = "waited") -> Workflow:
    """A published workflow that waits a minute, then ends with `result`."""
    return make_workflow(
        workspace,
        [
            webhook_trigger(),
            node("pause", "wait", mode="duration", seconds=60),
            node("done", "end", result=result),
        ],
        [edge("start", "next", "pause"), edge("pause", "next", "done")],
    )


def make_workflow(
    workspace: Any,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    *,
    publish: bool = True,
    **fields: Any,
) -> Workflow:
    workflow = Workflow.objects.create(
        workspace=workspace,
        name=fields.pop("name", "Test workflow"),
        draft={"nodes": nodes, "edges": edges},
        **fields,
    )
    if publish:
        services.publish(workflow)
        workflow.refresh_from_db()
    return workflow
