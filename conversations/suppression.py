"""Suppression lists: numbers that must never be texted, whatever consent says."""

import csv
import io
import logging

from django.db import IntegrityError, transaction

from conversations.models import Suppression
from integrations.crm.imports import ImportReport, RowError, decode_csv
from integrations.crm.phones import InvalidPhoneNumber, to_e164
from thoughtflow.errors import InvalidImport
from thoughtflow.models import User, Workspace

logger = logging.getLogger(__name__)


def import_suppressions(
    workspace: Workspace, data: bytes | str, actor: User | None = None
) -> ImportReport:
    """Add each row's `phone` (and optional `reason`) to the workspace's list.

    Numbers already on the list count as updated; bad rows are reported by
    line and do not stop the import.
    """
    reader = csv.DictReader(io.StringIO(decode_csv(data), newline=""))
    headers = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "phone" not in headers:
        raise InvalidImport("The first line must name a 'phone' column.")

    report = ImportReport()
    for row in reader:
        raw = (row.get(headers["phone"]) or "").strip()
        if not raw:
            continue
        try:
            phone = to_e164(raw, workspace.default_country)
        except InvalidPhoneNumber as exc:
            report.errors.append(RowError(reader.line_num, str(exc)))
            continue
        reason = (row.get(headers.get("reason", ""), "") or "").strip()[:200]
        try:
            with transaction.atomic():
                Suppression.objects.create(
                    workspace=workspace, phone=phone, reason=reason, created_by=actor
                )
            report.created += 1
        except IntegrityError:
            report.updated += 1

    logger.info(
        "suppressions imported workspace_id=%s created=%d existing=%d errors=%d",
        workspace.pk,
        report.created,
        report.updated,
        len(report.errors),
    )
    return report
