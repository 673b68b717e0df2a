from django.contrib.auth import get_user_model
from rest_framework import serializers

from thoughtflow.models import ApiKey, Membership, Role, Workspace


class WorkspaceSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True)
    is_current = serializers.BooleanField(read_only=True)

    class Meta:
        model = Workspace
        fields = [
            "id",
            "name",
            "slug",
            "default_country",
            "default_time_zone",
            "role",
            "is_current",
        ]


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "email", "role", "created_at"]
        read_only_fields = ["id", "created_at"]


class MembershipCreateSerializer(serializers.Serializer):
    username = serializers.CharField(
        help_text="Username of an existing account, as shown in its profile."
    )
    role = serializers.ChoiceField(choices=Role.choices, default=Role.AGENT)

    def validate_username(self, value: str) -> object:
        user = get_user_model().objects.filter(username=value, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(
                f"No active account is called {value!r}. Ask the person to sign "
                "up, or create the account under Admin > Users, then add it here."
            )
        return user


class ApiKeySerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "role",
            "prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]


class IssuedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(
        read_only=True,
        help_text="The full key. It is shown only in this response; store it now.",
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
