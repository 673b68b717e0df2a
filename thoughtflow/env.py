"""Typed readers for settings that come from the environment.

Each helper names the variable in its error, so a misconfigured deployment
fails at start-up with a message that says what to fix.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default

    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of true/false, 1/0, yes/no or on/off; got {raw!r}."
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default

    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number; got {raw!r}."
        ) from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, *, required: bool, fallback_file: Path) -> str:
    """Read a secret from the environment, or keep a generated one on disk.

    In production mode the variable is required. Otherwise a random value is
    generated once and kept in `fallback_file`, so sessions survive restarts
    of a local installation without anyone choosing a key by hand.
    """
    value = env_str(name)
    if value:
        return value
    if required:
        raise ImproperlyConfigured(
            f"{name} is required when PRODUCTION is on. Set it to a long random "
            "string, for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )

    fallback_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Exclusive creation: two processes starting together agree on one key.
        fd = os.open(fallback_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return fallback_file.read_text().strip()
    value = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return value
