from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from thoughtflow.tenancy import context_for_request, switch_workspace


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "thoughtflow/home.html", {"context": context_for_request(request)}
    )


@login_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    raw_id = request.POST.get("workspace_id", "")
    context = (
        switch_workspace(request.user, request.session, int(raw_id))
        if raw_id.isdigit()
        else None
    )
    if context is None:
        messages.error(request, "You are not a member of that workspace.")
    else:
        messages.success(request, f"Switched to {context.workspace.name}.")
    return redirect(request.POST.get("next") or "home")
