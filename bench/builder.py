"""How the workflow editor copes with a large workflow, in Chromium.

Serves Thoughtflow as the README recommends for production (gunicorn,
PostgreSQL, Redis, collected static files), opens the editor on a
200-step workflow and on a 5-step one in the same run, and prints for each:

- time to first render: from navigation start until the steps are on
  screen (the editor loaded the workflow and the node kinds, and React Flow
  drew and measured the nodes);
- frame times while panning: a mouse drag across the canvas for about two
  seconds, every animation frame's duration recorded in the page.

The 5-step workflow is the baseline: the ratios say what the 195 extra steps
cost on this machine, whatever else it is doing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/thoughtflow \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m bench.builder
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from typing import Any

from bench.common import (
    ROOT,
    bench_database,
    free_port,
    gunicorn,
    production_env,
    setup_django,
    stop,
    wait_for_port,
)

USERNAME = "bench-operator"
PASSWORD = "bench-password-not-a-secret"  # noqa: S105
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
]

# Recorded in the page from the first script on: when steps first appear,
# and each frame's duration while `window.__recording` is set.
PAGE_PROBE = """
window.__frames = [];
window.__recording = false;
(function watch(last) {
  requestAnimationFrame((now) => {
    if (window.__recording) window.__frames.push(now - last);
    const drawn = '.react-flow__node:not([style*="visibility: hidden"])';
    if (window.__firstSteps === undefined && document.querySelector(drawn)) {
      window.__firstSteps = now;
    }
    watch(now);
  });
})(performance.now());
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    database_url = bench_database(os.environ.get("DATABASE_URL", ""))
    port = free_port()
    env = production_env(database_url, port)
    setup_django(env)
    big, small = prepare(args.steps)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = gunicorn("thoughtflow.wsgi", port, env)
    try:
        wait_for_port(port)
        results = measure(
            f"http://127.0.0.1:{port}", {"baseline": small, "large": big}, args
        )
    finally:
        stop([server])
    report(results, args.steps)


def prepare(steps: int) -> tuple[int, int]:
    from thoughtflow.models import Membership, Role, User, Workspace
    from workflows.models import Workflow

    workspace, _ = Workspace.objects.get_or_create(
        slug="bench-builder", defaults={"name": "Bench builder"}
    )
    user, _ = User.objects.get_or_create(username=USERNAME)
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.get_or_create(
        user=user, workspace=workspace, defaults={"role": Role.OPERATOR}
    )
    Workflow.objects.filter(workspace=workspace).delete()
    big = Workflow.objects.create(workspace=workspace, name="Large", draft=graph(steps))
    small = Workflow.objects.create(workspace=workspace, name="Small", draft=graph(5))
    return big.pk, small.pk


def graph(steps: int) -> dict[str, Any]:
    """A trigger and `steps - 1` texts in columns of 20, each leading to the next."""
    nodes: list[dict[str, Any]] = [
        {
            "id": "start",
            "kind": "trigger",
            "config": {"type": "manual"},
            "position": {"x": 0, "y": 0},
        }
    ]
    edges: list[dict[str, Any]] = []
    previous, port = "start", "next"
    for n in range(1, steps):
        node_id = f"text_{n}"
        nodes.append(
            {
                "id": node_id,
                "kind": "send_sms",
                "label": f"Text {n}",
                "config": {"body": f"Message {n} for {{{{ contact.first_name }}}}"},
                "position": {"x": (n // 20) * 280, "y": (n % 20) * 140},
            }
        )
        edges.append({"source": previous, "port": port, "target": node_id})
        edges.append({"source": node_id, "port": "blocked", "target": None})
        previous, port = node_id, "sent"
    edges.append({"source": previous, "port": port, "target": None})
    return {"nodes": nodes, "edges": edges}


def measure(base_url: str, workflows: dict[str, int], args: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, list[float]]] = {
        name: {"first_render_ms": [], "frames_ms": []} for name in workflows
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(f"{base_url}/login/")
        page.fill("input[name=username]", USERNAME)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        context.add_init_script(PAGE_PROBE)
        # Alternate the two so drift in the machine's load hits both alike.
        for _ in range(args.repeat):
            for name, workflow_id in workflows.items():
                first, frames = open_and_pan(page, f"{base_url}/builder/{workflow_id}/")
                results[name]["first_render_ms"].append(first)
                results[name]["frames_ms"].extend(frames)
        browser.close()
    return results


def open_and_pan(page: Any, url: str) -> tuple[float, list[float]]:
    page.goto(url)
    page.wait_for_function("window.__firstSteps !== undefined", timeout=60_000)
    first = page.evaluate("window.__firstSteps")
    page.wait_for_timeout(500)
    pane = page.locator(".react-flow__pane").bounding_box()
    x, y = pane["x"] + pane["width"] / 2, pane["y"] + pane["height"] / 2
    page.evaluate("window.__frames = []; window.__recording = true")
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(120):
        # Back and forth, so the whole graph crosses the screen.
        offset = 300 if (step // 30) % 2 == 0 else -300
        page.mouse.move(
            x + offset * ((step % 30) / 30), y + offset / 3 * ((step % 30) / 30)
        )
        page.wait_for_timeout(16)
    page.mouse.up()
    frames = page.evaluate("window.__recording = false; window.__frames")
    return first, frames


def report(results: dict, steps: int) -> None:
    base, large = results["baseline"], results["large"]

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    rows = [
        ("first render, median (ms)", statistics.median, "first_render_ms"),
        ("frame while panning, p50 (ms)", lambda v: pct(v, 0.5), "frames_ms"),
        ("frame while panning, p95 (ms)", lambda v: pct(v, 0.95), "frames_ms"),
        ("frame while panning, max (ms)", max, "frames_ms"),
    ]
    print(f"Workflow editor in Chromium: {steps} steps against a 5-step baseline")
    print(f"{'':34}{'5 steps':>10}{f'{steps} steps':>12}{'ratio':>8}")
    for label, summary, key in rows:
        b, n = summary(base[key]), summary(large[key])
        print(f"{label:34}{b:>10.1f}{n:>12.1f}{n / b:>8.2f}")
    frames = large["frames_ms"]
    smooth = sum(1 for f in frames if f <= 1000 / 30) / len(frames)
    print(f"frames under 33 ms (30 fps) while panning {steps} steps: {smooth:.0%}")


if __name__ == "__main__":
    main()
