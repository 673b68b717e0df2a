"""Load the browser bundles that Vite builds into frontend/dist.

`{% vite_entry "simulator" %}` looks up `src/pages/simulator/main.tsx` in
Vite's manifest and emits the entry's stylesheets, its module script and
modulepreload hints for the chunks it imports. Files are served by
staticfiles under the `frontend/` prefix, the `base` in vite.config.ts.
"""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TypedDict

from django import template
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

STATIC_PREFIX = "frontend"
BUILD_HINT = "Run `make demo`, or `npm ci && npm run build` in frontend/, then reload."


class ManifestChunk(TypedDict, total=False):
    file: str
    name: str
    src: str
    isEntry: bool
    imports: list[str]
    css: list[str]


Manifest = dict[str, ManifestChunk]

# Parsed manifests by path, with the (mtime_ns, size) they were read at. A
# new build rewrites the file, so a running server picks it up unrestarted.
_cache: dict[Path, tuple[tuple[int, int], Manifest]] = {}


class ViteManifestError(ImproperlyConfigured):
    """The built frontend does not match what a template asks for."""


def manifest_path() -> Path:
    """Return where `npm run build` writes the manifest, under BASE_DIR."""
    return Path(settings.BASE_DIR) / "frontend" / "dist" / ".vite" / "manifest.json"


def load_manifest() -> Manifest:
    """Return the parsed manifest, read again only when the file changed.

    Raise ViteManifestError when the file is missing or is not valid JSON.
    """
    path = manifest_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ViteManifestError(
            f"The frontend is not built: {path} does not exist. {BUILD_HINT}"
        ) from None

    version = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == version:
        return cached[1]

    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        raise ViteManifestError(
            f"The frontend manifest {path} could not be read ({error}). {BUILD_HINT}"
        ) from error
    if not isinstance(manifest, dict):
        raise ViteManifestError(
            f"The frontend manifest {path} is not a JSON object. {BUILD_HINT}"
        )

    _cache[path] = (version, manifest)

    return manifest


@register.simple_tag
def vite_entry(name: str) -> SafeString:
    """Emit the tags that load the page entry `src/pages/<name>/main.tsx`.

    Raise ViteManifestError when the manifest or the entry is missing, so
    a page never renders without its script.
    """
    manifest = load_manifest()
    key = f"src/pages/{name}/main.tsx"
    entry = manifest.get(key)
    if entry is None or not entry.get("isEntry"):
        raise ViteManifestError(
            f"The frontend build has no entry '{name}' ({key} is not in "
            f"{manifest_path()}). Check that the file exists and that '{name}' "
            f"is listed in `pages` in frontend/vite.config.ts. {BUILD_HINT}"
        )

    imported = _imported_chunks(manifest, key)
    stylesheets = dict.fromkeys(
        css for chunk in [entry, *imported] for css in chunk.get("css", [])
    )
    preloads = [chunk["file"] for chunk in imported]

    return format_html(
        "{}{}{}",
        _tags('<link rel="stylesheet" href="{}">\n', stylesheets),
        _tags('<script type="module" src="{}"></script>\n', [entry["file"]]),
        _tags('<link rel="modulepreload" href="{}">\n', preloads),
    )


def _imported_chunks(manifest: Manifest, key: str) -> list[ManifestChunk]:
    """Return the chunks `key` imports statically, depth first, each once."""
    seen: set[str] = set()
    chunks: list[ManifestChunk] = []

    def visit(chunk_key: str) -> None:
        for imported_key in manifest[chunk_key].get("imports", []):
            if imported_key in seen:
                continue
            seen.add(imported_key)
            if imported_key not in manifest:
                raise ViteManifestError(
                    f"The frontend manifest lists '{imported_key}' as imported "
                    f"by '{chunk_key}' but has no entry for it. {BUILD_HINT}"
                )
            chunks.append(manifest[imported_key])
            visit(imported_key)

    visit(key)

    return chunks


def _tags(html: str, files: Iterable[str]) -> SafeString:
    """Format `html` once per file, with the file's static URL."""
    return format_html_join(
        "", html, ((static(f"{STATIC_PREFIX}/{f}"),) for f in files)
    )
