"""CSV import of contacts: keep every good row, report every bad one by line.

Columns are matched by header, case-insensitively: `phone` is required;
`email`, `first_name`, `last_name`, `time_zone` and `tags` (separated by
`;`) are optional; any other column becomes a custom field. A row whose
phone already exists in the workspace updates that contact.
"""

import csv
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from integrations.crm.models import Contact
from integrations.crm.services import (
    PLAIN_FIELDS,
    InvalidContact,
    create_contact,
    normalize,
    update_contact,
)
from thoughtflow.errors import InvalidImport
from thoughtflow.models import User, Workspace

logger = logging.getLogger(__name__)

HEADER_ALIASES = {
    "phone number": "phone",
    "mobile": "phone",
    "first name": "first_name",
    "firstname": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "timezone": "time_zone",
    "time zone": "time_zone",
}


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + len(self.errors)


def import_contacts(
    workspace: Workspace, data: bytes | str, actor: User | None = None
) -> ImportReport:
    """Import contacts from CSV text or bytes (UTF-8, with or without BOM).

    Raises InvalidImport when the file as a whole cannot be read; row-level
    problems are collected in the report and do not stop the import.
    """
    text = decode_csv(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = _columns(reader.fieldnames)
    report = ImportReport()
    limit = settings.CONTACT_IMPORT_MAX_ROWS

    for row in reader:
        if report.total >= limit:
            raise InvalidImport(
                f"The file has more than {limit} rows. Split it into smaller files; "
                f"the first {limit} rows were imported."
            )
        try:
            values = _row_values(row, columns)
            if values is None:
                continue
            with transaction.atomic():
                created = _upsert(workspace, values, actor)
        except InvalidContact as exc:
            report.errors.append(RowError(reader.line_num, exc.message))
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1

    logger.info(
        "contacts imported workspace_id=%s created=%d updated=%d errors=%d",
        workspace.pk,
        report.created,
        report.updated,
        len(report.errors),
    )
    return report


def decode_csv(data: bytes | str) -> str:
    """CSV bytes as text: UTF-8, with or without a byte-order mark."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidImport(
            f"The file is not UTF-8 text (byte {exc.start} is not valid). Save it "
            "as 'CSV UTF-8' and upload it again."
        ) from None


def _columns(fieldnames: Sequence[str] | None) -> dict[str, str]:
    """Map each header in the file to a contact field or a custom field name."""
    if not fieldnames:
        raise InvalidImport("The file is empty. The first line must name the columns.")

    columns = {}
    for header in fieldnames:
        key = (header or "").strip().lower()
        columns[header] = HEADER_ALIASES.get(key, key)
    if "phone" not in columns.values():
        raise InvalidImport(
            "The first line must name a 'phone' column. Found: "
            + ", ".join(repr(name) for name in fieldnames)
            + "."
        )
    return columns


def _row_values(row: dict[Any, Any], columns: dict[str, str]) -> dict | None:
    """Turn a CSV row into contact values, or None for a blank line."""
    if None in row:
        # csv puts the cells past the header's width under the key None.
        raise InvalidContact(
            {"row": "The row has more cells than the first line has columns."}
        )

    values: dict = {"custom_fields": {}}
    for header, cell in row.items():
        name = columns[header]
        cell = (cell or "").strip()
        if name in PLAIN_FIELDS:
            values[name] = cell
        elif name == "tags":
            values["tags"] = [tag for tag in cell.split(";") if tag.strip()]
        elif name and cell:
            values["custom_fields"][name] = cell
    if (
        not any(values.get(name) for name in PLAIN_FIELDS)
        and not values["custom_fields"]
    ):
        return None
    return values


def _upsert(workspace: Workspace, values: dict, actor: User | None) -> bool:
    """Create or update one contact; return True when it was created."""
    phone = normalize(workspace, {"phone": values["phone"]})["phone"]
    existing = (
        Contact.objects.select_for_update(no_key=True)
        .for_workspace(workspace)
        .filter(phone=phone)
        .first()
    )
    if existing is None:
        create_contact(workspace, values, actor)
        return True

    if not values["custom_fields"]:
        values.pop("custom_fields")
    else:
        values["custom_fields"] = {**existing.custom_fields, **values["custom_fields"]}
    # Empty cells leave the existing value alone rather than erasing it.
    changes = {name: value for name, value in values.items() if value not in ("", [])}
    update_contact(existing, changes, actor)
    return False
