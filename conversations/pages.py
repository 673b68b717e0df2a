"""The inbox page: Django renders the shell, React (frontend/src/inbox) the rest."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from conversations.events import last_seq
from thoughtflow.models import Role
from thoughtflow.tenancy import context_for_request


@login_required
@ensure_csrf_cookie
def inbox_page(request: HttpRequest) -> HttpResponse:
    """The inbox of the session's workspace, for members with the agent role.

    The page is told the workspace's newest event number before it loads
    anything, so its websocket resumes from there and misses nothing that
    happens while the lists load.
    """
    context = context_for_request(request)
    if context is None or not context.allows(Role.AGENT):
        return render(request, "conversations/inbox_closed.html", status=403)
    return render(
        request,
        "conversations/inbox.html",
        {"last_event": last_seq(context.workspace_id), "me": request.user},
    )
