"""Creating and changing contacts, and keeping their timeline in step.

Every path that writes a contact (the API, the admin, CSV imports and, later,
workflow steps) comes through here, so the rules live in one place: phones
in E.164, a known time zone, one contact per number in a workspace, and a
timeline entry for every change.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from integrations.crm.models import Activity, Contact, Deal, Tag
from integrations.crm.phones import (
    InvalidPhoneNumber,
    available_time_zones,
    time_zone_for,
    to_e164,
)
from integrations.crm.signals import contact_created, contact_tagged
from thoughtflow.errors import ThoughtflowError
from thoughtflow.models import User, Workspace

logger = logging.getLogger(__name__)

PLAIN_FIELDS = ("phone", "email", "first_name", "last_name", "time_zone")
MAX_TAG_LENGTH = 50


class InvalidContact(ThoughtflowError):
    code = "invalid_contact"
    message = "The contact was not saved: {problems}"

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        problems = " ".join(fields.values())
        super().__init__(problems=problems)


class ContactExists(InvalidContact):
    code = "contact_exists"
    status_code = 409

    def __init__(self, phone: str, contact_id: int) -> None:
        self.contact_id = contact_id
        super().__init__(
            {
                "phone": f"Contact {contact_id} already has the number {phone}. "
                "Update that contact instead."
            }
        )


def normalize(workspace: Workspace, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check and canonicalize the contact fields present in `values`.

    Raises InvalidContact naming every field that is wrong, not only the first.
    """
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}

    if "phone" in values:
        try:
            clean["phone"] = to_e164(values["phone"], workspace.default_country)
        except InvalidPhoneNumber as exc:
            problems["phone"] = str(exc)

    if "email" in values:
        email = (values["email"] or "").strip()
        try:
            if email:
                validate_email(email)
            clean["email"] = email.lower()
        except ValidationError:
            problems["email"] = f"{email!r} is not a valid email address."

    for name in ("first_name", "last_name"):
        if name in values:
            clean[name] = (values[name] or "").strip()[:100]

    if "time_zone" in values:
        zone = (values["time_zone"] or "").strip()
        if zone and zone not in available_time_zones():
            problems["time_zone"] = (
                f"{zone!r} is not a time zone. Use an IANA name such as "
                "America/Chicago, or leave it empty to derive it from the number."
            )
        clean["time_zone"] = zone

    if "custom_fields" in values:
        custom = values["custom_fields"] or {}
        if not isinstance(custom, dict):
            problems["custom_fields"] = (
                "Custom fields must be an object of names to values."
            )
        clean["custom_fields"] = custom

    if "tags" in values:
        tags = sorted(
            {str(tag).strip() for tag in values["tags"] or [] if str(tag).strip()}
        )
        too_long = [tag for tag in tags if len(tag) > MAX_TAG_LENGTH]
        if too_long:
            problems["tags"] = (
                f"Tags are at most {MAX_TAG_LENGTH} characters: {too_long[0]!r}."
            )
        clean["tags"] = tags

    if problems:
        raise InvalidContact(problems)
    return clean


def create_contact(
    workspace: Workspace, values: Mapping[str, Any], actor: User | None = None
) -> Contact:
    """Create a contact from raw values. Raises InvalidContact or ContactExists."""
    clean = normalize(workspace, {"phone": "", **values})
    tags = clean.pop("tags", None)
    if not clean.get("time_zone"):
        clean["time_zone"] = (
            time_zone_for(clean["phone"]) or workspace.default_time_zone
        )

    existing = (
        Contact.objects.for_workspace(workspace).filter(phone=clean["phone"]).first()
    )
    if existing is not None:
        raise ContactExists(clean["phone"], existing.pk)
    try:
        with transaction.atomic():
            contact = Contact.objects.create(workspace=workspace, **clean)
            if tags:
                contact.tags.set(_tags_by_name(workspace, tags))
            record_activity(
                contact, Activity.Kind.CREATED, "Contact created", actor=actor
            )
            transaction.on_commit(
                lambda: contact_created.send(sender=Contact, contact=contact)
            )
            if tags:
                transaction.on_commit(
                    lambda: contact_tagged.send(
                        sender=Contact, contact=contact, tags=list(tags)
                    )
                )
    except IntegrityError:
        # Another request created the same number between our check and insert.
        existing = Contact.objects.for_workspace(workspace).get(phone=clean["phone"])
        raise ContactExists(clean["phone"], existing.pk) from None

    logger.info(
        "contact created workspace_id=%s contact_id=%s", workspace.pk, contact.pk
    )
    return contact


def contact_for_phone(workspace: Workspace, raw_phone: str) -> Contact:
    """The workspace's contact with this number, created bare if there is none.

    Raises InvalidPhoneNumber when the text is not a number.
    """
    phone = to_e164(raw_phone, workspace.default_country)
    contact = Contact.objects.for_workspace(workspace).filter(phone=phone).first()
    if contact is not None:
        return contact
    try:
        return create_contact(workspace, {"phone": phone})
    except ContactExists as exc:
        return Contact.objects.get(pk=exc.contact_id)


def update_contact(
    contact: Contact, values: Mapping[str, Any], actor: User | None = None
) -> Contact:
    """Apply the given fields and record what changed on the timeline."""
    workspace = contact.workspace
    clean = normalize(workspace, values)
    tags = clean.pop("tags", None)
    if "phone" in clean and clean["phone"] != contact.phone:
        other = (
            Contact.objects.for_workspace(workspace)
            .filter(phone=clean["phone"])
            .exclude(pk=contact.pk)
            .first()
        )
        if other is not None:
            raise ContactExists(clean["phone"], other.pk)
    if clean.get("time_zone") == "" and "phone" in clean:
        clean["time_zone"] = (
            time_zone_for(clean["phone"]) or workspace.default_time_zone
        )
    elif clean.get("time_zone") == "":
        clean.pop("time_zone")

    changes = {
        name: [getattr(contact, name), value]
        for name, value in clean.items()
        if getattr(contact, name) != value
    }
    with transaction.atomic():
        for name, (_old, new) in changes.items():
            setattr(contact, name, new)
        if changes:
            contact.save()
        if tags is not None:
            old_tags = sorted(contact.tags.values_list("name", flat=True))
            if old_tags != tags:
                contact.tags.set(_tags_by_name(workspace, tags))
                changes["tags"] = [old_tags, tags]
                if added := sorted(set(tags) - set(old_tags)):
                    transaction.on_commit(
                        lambda: contact_tagged.send(
                            sender=Contact, contact=contact, tags=added
                        )
                    )
        if changes:
            record_activity(
                contact,
                Activity.Kind.FIELD_CHANGE,
                f"Changed {', '.join(sorted(changes))}",
                data={"changes": changes},
                actor=actor,
            )
    return contact


def add_note(contact: Contact, text: str, actor: User | None = None) -> Activity:
    text = text.strip()
    if not text:
        raise InvalidContact({"text": "A note needs some text."})
    return record_activity(
        contact, Activity.Kind.NOTE, text[:300], data={"text": text}, actor=actor
    )


def record_activity(
    contact: Contact,
    kind: str,
    summary: str,
    *,
    data: dict[str, Any] | None = None,
    actor: User | None = None,
) -> Activity:
    """Append an entry to the contact's timeline."""
    return Activity.objects.create(
        workspace_id=contact.workspace_id,
        contact=contact,
        kind=kind,
        summary=summary[:300],
        data=data or {},
        actor=actor,
    )


def change_deal_stage(deal: Deal, stage: str, actor: User | None = None) -> Deal:
    if stage not in Deal.Stage.values:
        raise ThoughtflowError(
            f"Stage must be one of {', '.join(Deal.Stage.values)}; got {stage!r}."
        )
    if deal.stage == stage:
        return deal

    old = deal.stage
    with transaction.atomic():
        deal.stage = stage
        deal.save(update_fields=["stage", "updated_at"])
        record_activity(
            deal.contact,
            Activity.Kind.DEAL,
            f"Deal {deal.title!r} moved from {old} to {stage}",
            data={"deal_id": deal.pk, "from": old, "to": stage},
            actor=actor,
        )
    return deal


def _tags_by_name(workspace: Workspace, names: Iterable[str]) -> list[Tag]:
    return [
        Tag.objects.get_or_create(workspace=workspace, name=name)[0] for name in names
    ]
