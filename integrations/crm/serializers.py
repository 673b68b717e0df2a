from rest_framework import serializers

from integrations.crm.models import Activity, Contact, Deal
from thoughtflow.api.scoping import ScopedRelatedField


class TagNamesField(serializers.ListField):
    """Tags in and out as a list of names."""

    child = serializers.CharField(max_length=50)

    def get_attribute(self, instance: Contact) -> list[str]:
        # Sorted in Python: `tags.all()` then uses the prefetched rows.
        return sorted(tag.name for tag in instance.tags.all())


class ContactSerializer(serializers.ModelSerializer):
    """Shape only; `integrations.crm.services` checks and normalizes values."""

    phone = serializers.CharField(
        max_length=40,
        help_text="Any common format; stored as E.164. Numbers without a + are "
        "read in the workspace's default country.",
    )
    # Plain text here so that the service reports every bad field at once.
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    tags = TagNamesField(required=False)
    custom_fields = serializers.DictField(required=False)

    class Meta:
        model = Contact
        fields = [
            "id",
            "phone",
            "email",
            "first_name",
            "last_name",
            "time_zone",
            "custom_fields",
            "tags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Checks such as uniqueness live in the service, not in the serializer.
        validators: list = []


class ActivitySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)

    class Meta:
        model = Activity
        fields = ["id", "kind", "summary", "data", "actor", "created_at"]
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class ImportRowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line in the file, the header being 1.")
    reason = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    errors = ImportRowErrorSerializer(many=True)  # type: ignore[assignment]


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CSV file, UTF-8, with a header line.")


class DealSerializer(serializers.ModelSerializer):
    contact = ScopedRelatedField(queryset=Contact.objects.all())

    class Meta:
        model = Deal
        fields = [
            "id",
            "contact",
            "title",
            "stage",
            "value",
            "currency",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
