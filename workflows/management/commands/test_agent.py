"""Run the test conversations of SMS agent steps, with any model."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.agent.scenarios import TestResult, run_workflow_tests
from workflows.models import Workflow


class Command(BaseCommand):
    help = (
        "Run the test conversations attached to SMS agent steps and report pass "
        "or fail per test, with the transcript of each failure. Nothing is texted. "
        "Exits with status 1 when a test fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "workflows",
            nargs="*",
            help="Workflow ids or names; all workflows with agent tests when omitted.",
        )
        parser.add_argument(
            "--workspace", help="Only workflows of this workspace (id)."
        )
        parser.add_argument("--node", default="", help="Only this node id.")
        parser.add_argument(
            "--model", default="", help="A litellm model string to use instead."
        )
        parser.add_argument(
            "--published",
            action="store_true",
            help="Test the published versions instead of the drafts.",
        )
        parser.add_argument(
            "--transcripts",
            action="store_true",
            help="Print every transcript, not only those of failures.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workflows = self._workflows(options["workflows"], options["workspace"])
        results: list[TestResult] = []
        for workflow in workflows:
            if options["published"] and workflow.published_version is None:
                continue
            graph = (
                workflow.published_version.graph
                if options["published"] and workflow.published_version
                else workflow.draft
            )
            found = run_workflow_tests(
                workflow,
                model=options["model"] or None,
                node_id=options["node"] or None,
                graph=graph,
            )
            if found:
                self.stdout.write(self.style.MIGRATE_HEADING(workflow.name))
            for result in found:
                self._report(result, options["transcripts"])
            results += found
        if not results:
            raise CommandError("No agent tests found.")
        passed = sum(result.passed for result in results)
        rate = 100 * passed / len(results)
        summary = f"{passed}/{len(results)} tests passed ({rate:.0f}%)."
        if passed < len(results):
            self.stdout.write(self.style.ERROR(summary))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(summary))

    def _workflows(self, names: list[str], workspace: str | None) -> list[Workflow]:
        queryset = Workflow.objects.select_related("workspace", "published_version")
        if workspace:
            queryset = queryset.filter(workspace_id=workspace)
        if not names:
            return list(queryset.order_by("workspace_id", "name"))
        chosen = []
        for name in names:
            matches = (
                queryset.filter(pk=int(name))
                if name.isdigit()
                else queryset.filter(name=name)
            )
            if not matches:
                raise CommandError(f"No workflow is called or numbered {name!r}.")
            chosen += list(matches)
        return chosen

    def _report(self, result: TestResult, transcripts: bool) -> None:
        mark = self.style.SUCCESS("PASS") if result.passed else self.style.ERROR("FAIL")
        self.stdout.write(f"  {mark} {result.node_id}: {result.name} → {result.port}")
        for problem in result.problems:
            self.stdout.write(f"       {problem}")
        if transcripts or not result.passed:
            for line in result.transcript:
                self.stdout.write(f"       {line['from']:>7}: {line['text']}")
