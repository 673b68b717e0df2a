from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from conversations.encoding import count_segments


class SegmentRequestSerializer(serializers.Serializer):
    text = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=1600
    )


@extend_schema(
    request=SegmentRequestSerializer,
    responses=inline_serializer(
        "SegmentInfo",
        {
            "encoding": serializers.ChoiceField(choices=["GSM-7", "UCS-2"]),
            "segments": serializers.IntegerField(),
            "units": serializers.IntegerField(),
            "per_segment": serializers.IntegerField(),
            "remaining": serializers.IntegerField(),
            "non_gsm_characters": serializers.ListField(child=serializers.CharField()),
        },
    ),
)
@api_view(["POST"])
def segments(request: Request) -> Response:
    """How a text would be encoded and how many SMS segments it takes."""
    incoming = SegmentRequestSerializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    return Response(count_segments(incoming.validated_data["text"]).to_dict())
