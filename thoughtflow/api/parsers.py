from collections.abc import Mapping
from typing import IO, Any

from rest_framework.parsers import BaseParser


class CsvParser(BaseParser):
    """Accept a raw `text/csv` body; the view finds the bytes under `key`."""

    media_type = "text/csv"
    key = "csv"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, bytes]:
        return {self.key: stream.read()}
