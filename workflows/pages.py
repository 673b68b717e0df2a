"""The builder's pages: Django renders the shell, React (frontend/) the rest.

Each page is a Vite entry mounted in a template, so Django keeps login,
navigation and CSRF; the pages talk to the REST API under /api/.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from thoughtflow.tenancy import context_for_request
from workflows.models import Workflow


@login_required
@ensure_csrf_cookie
def builder_page(request: HttpRequest) -> HttpResponse:
    return render(request, "workflows/builder.html")


@login_required
@ensure_csrf_cookie
def editor_page(request: HttpRequest, workflow_id: int) -> HttpResponse:
    context = context_for_request(request)
    workflow = (
        Workflow.objects.for_workspace(context.workspace_id)
        .filter(pk=workflow_id)
        .only("pk", "name")
        .first()
        if context is not None
        else None
    )
    if workflow is None:
        raise Http404("No workflow with that id in this workspace.")
    return render(request, "workflows/editor.html", {"workflow": workflow})
