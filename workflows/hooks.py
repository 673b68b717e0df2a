"""HTTP triggers: a workflow's webhook (forms, other systems) and missed calls."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from conversations.consent import lock_recipient_state, record_opt_in
from conversations.models import ConsentRecord
from integrations.crm import services as crm
from integrations.crm.models import Activity, Contact
from integrations.crm.phones import InvalidPhoneNumber
from integrations.twilio import routes
from integrations.twilio.signatures import signed_by_twilio
from thoughtflow.models import Workspace
from workflows.engine.context import lookup
from workflows.engine.runs import start_run
from workflows.models import Workflow
from workflows.triggers import start_matching, trigger_config

logger = logging.getLogger(__name__)

MISSED_CALL_STATUSES = {"no-answer", "busy", "failed"}
# What a form's consent checkbox sends when ticked.
CONSENT_VALUES = {"1", "true", "yes", "on", "y", "checked"}
SIGNATURE_HEADER = "X-Thoughtflow-Signature"


@csrf_exempt
@require_POST
def workflow_hook(request: HttpRequest, token: str) -> JsonResponse:
    """Start a run from a form fill or another system's event."""
    workflow = (
        Workflow.objects.select_related("published_version", "workspace")
        .filter(hook_token=token, status=Workflow.Status.ACTIVE, trigger_type="webhook")
        .first()
    )
    if workflow is None or workflow.published_version is None:
        return _error(404, "unknown_hook", "No live workflow listens on this address.")
    if len(request.body) > settings.WEBHOOK_MAX_BYTES:
        return _error(413, "too_large", "The request body is larger than 64 KB.")

    config = trigger_config(workflow)
    if (secret := config.get("secret")) and not _hmac_matches(request, secret):
        return _error(
            401,
            "bad_signature",
            f"The {SIGNATURE_HEADER} header does not match the body. Sign the raw body "
            "with HMAC-SHA256 and the workflow's secret: sha256=<hex>.",
        )
    data = _payload(request)
    if data is None:
        return _error(400, "bad_payload", "Send a JSON object or a URL-encoded form.")

    trigger = {"form": data}
    try:
        contact = _contact_from(
            workflow.workspace, config.get("field_map") or {}, trigger
        )
    except crm.InvalidContact as exc:
        return JsonResponse(
            {"code": exc.code, "detail": exc.message, "fields": exc.fields}, status=400
        )
    if path := config.get("consent_field"):
        _record_form_consent(contact, path, trigger)
    key = request.headers.get("Idempotency-Key", "").strip()[:100]
    run = start_run(
        workflow, contact, trigger, trigger_key=f"hook:{key}" if key else None
    )
    if run is None:
        return JsonResponse(
            {"status": "skipped", "detail": "The contact already has an active run."}
        )
    return JsonResponse({"status": run.status, "run_id": run.pk}, status=202)


@csrf_exempt
@require_POST
def voice_status(request: HttpRequest) -> HttpResponse:
    """Twilio's call status callback: a missed call starts the missed-call workflows."""
    form = request.POST
    missing = [
        n
        for n in ("CallSid", "AccountSid", "From", "To", "CallStatus")
        if not form.get(n)
    ]
    if missing:
        return HttpResponse(f"Missing fields: {', '.join(missing)}.", status=400)
    route = routes.find(form["To"], fresh=False)
    if (
        route is None
        or route.account_sid != form["AccountSid"]
        or not signed_by_twilio(request, route.auth_token)
    ):
        return HttpResponse("Invalid signature or unknown number.", status=403)

    status = form["CallStatus"]
    workspace = Workspace.objects.get(pk=route.workspace_id)
    try:
        contact = crm.contact_for_phone(workspace, form["From"])
    except InvalidPhoneNumber:
        logger.warning("call from unusable number call_sid=%s", form["CallSid"])
        return HttpResponse(status=204)
    if status in MISSED_CALL_STATUSES:
        # Twilio retries callbacks: one timeline entry per call.
        calls = contact.activities.filter(kind=Activity.Kind.CALL)
        if not calls.filter(data__call_sid=form["CallSid"]).exists():
            crm.record_activity(
                contact,
                Activity.Kind.CALL,
                f"Missed call ({status})",
                data={"call_sid": form["CallSid"], "status": status},
            )
        call = {
            "sid": form["CallSid"],
            "status": status,
            "from": contact.phone,
            "to": form["To"],
            "duration": form.get("CallDuration", "0"),
        }
        start_matching(
            workspace.pk,
            "missed_call",
            contact,
            {"call": call},
            trigger_key=f"call:{form['CallSid']}",
        )
    return HttpResponse(status=204)


def _contact_from(
    workspace: Workspace, field_map: dict[str, str], trigger: dict
) -> Contact:
    values = {name: lookup(trigger, path) for name, path in field_map.items()}
    values = {k: v for k, v in values.items() if v not in (None, "")}
    phone = values.pop("phone", None)
    if not phone:
        raise crm.InvalidContact(
            {
                "phone": "The payload has no phone number where the "
                "trigger's field map says it is."
            }
        )
    try:
        contact = crm.contact_for_phone(workspace, str(phone))
    except InvalidPhoneNumber as exc:
        raise crm.InvalidContact({"phone": str(exc)}) from None
    standard = {
        k: str(v)
        for k, v in values.items()
        if k in ("first_name", "last_name", "email", "time_zone")
    }
    custom = {k: v for k, v in values.items() if k not in standard}
    changes: dict[str, Any] = dict(standard)
    if custom:
        changes["custom_fields"] = {**contact.custom_fields, **custom}
    if changes:
        crm.update_contact(contact, changes)
    return contact


def _record_form_consent(contact: Contact, path: str, trigger: dict[str, Any]) -> None:
    """Record the SMS consent a form collected, when its consent field is set."""
    value = lookup(trigger, path)
    if str(value).strip().casefold() not in CONSENT_VALUES:
        return
    with transaction.atomic():
        record_opt_in(
            lock_recipient_state(contact),
            source=ConsentRecord.Source.WEB_FORM,
            channel="web",
            evidence=f"Form field {path} was {str(value)[:40]!r}.",
        )


def _payload(request: HttpRequest) -> dict[str, Any] | None:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    return {key: request.POST.get(key) for key in request.POST}


def _hmac_matches(request: HttpRequest, secret: str) -> bool:
    given = request.headers.get(SIGNATURE_HEADER, "").removeprefix("sha256=")
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, expected)


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)
