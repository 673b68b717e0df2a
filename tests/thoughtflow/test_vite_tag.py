import json
import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template

from thoughtflow.templatetags import vite

ENTRY_KEY = "src/pages/simulator/main.tsx"


def render(source: str = '{% load vite %}{% vite_entry "simulator" %}') -> str:
    return Template(source).render(Context())


@pytest.fixture
def write_manifest(settings, tmp_path):
    """Point BASE_DIR at a tmp dir; the returned function writes a manifest."""
    settings.BASE_DIR = tmp_path
    path = tmp_path / "frontend" / "dist" / ".vite" / "manifest.json"

    def write(manifest: dict | str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_manifest_path_follows_base_dir(settings, tmp_path):
    settings.BASE_DIR = tmp_path

    path = vite.manifest_path()

    assert path == tmp_path / "frontend" / "dist" / ".vite" / "manifest.json"


def test_entry_renders_its_css_script_and_preloads(write_manifest):
    write_manifest(
        {
            ENTRY_KEY: {
                "file": "assets/simulator-abc.js",
                "name": "simulator",
                "src": ENTRY_KEY,
                "isEntry": True,
                "imports": ["_react-123.js", "_api-456.js"],
                "css": ["assets/simulator-abc.css"],
            },
            "_react-123.js": {"file": "assets/react-123.js"},
            "_api-456.js": {
                "file": "assets/api-456.js",
                "imports": ["_react-123.js"],
                "css": ["assets/api-456.css"],
            },
        }
    )

    html = render()

    assert html.splitlines() == [
        '<link rel="stylesheet" href="/static/frontend/assets/simulator-abc.css">',
        '<link rel="stylesheet" href="/static/frontend/assets/api-456.css">',
        '<script type="module" src="/static/frontend/assets/simulator-abc.js">'
        "</script>",
        '<link rel="modulepreload" href="/static/frontend/assets/react-123.js">',
        '<link rel="modulepreload" href="/static/frontend/assets/api-456.js">',
    ]


def test_entry_without_css_or_imports_renders_only_the_script(write_manifest):
    write_manifest({ENTRY_KEY: {"file": "assets/simulator-abc.js", "isEntry": True}})

    html = render()

    assert html == (
        '<script type="module" src="/static/frontend/assets/simulator-abc.js">'
        "</script>\n"
    )


def test_missing_manifest_says_how_to_build(settings, tmp_path):
    settings.BASE_DIR = tmp_path

    with pytest.raises(ImproperlyConfigured) as caught:
        render()

    message = str(caught.value)
    assert "The frontend is not built" in message
    assert str(vite.manifest_path()) in message
    assert "make demo" in message
    assert "npm run build" in message


def test_unknown_entry_names_the_entry_and_the_build(write_manifest):
    write_manifest({ENTRY_KEY: {"file": "assets/simulator-abc.js", "isEntry": True}})

    with pytest.raises(ImproperlyConfigured) as caught:
        render('{% load vite %}{% vite_entry "editor" %}')

    message = str(caught.value)
    assert "no entry 'editor'" in message
    assert "src/pages/editor/main.tsx" in message
    assert "npm run build" in message


def test_chunk_that_is_not_an_entry_is_refused(write_manifest):
    write_manifest({ENTRY_KEY: {"file": "assets/simulator-abc.js"}})

    with pytest.raises(ImproperlyConfigured, match="no entry 'simulator'"):
        render()


def test_unreadable_manifest_says_how_to_rebuild(write_manifest):
    write_manifest("{not json")

    with pytest.raises(ImproperlyConfigured, match=r"could not be read.*npm run build"):
        render()


def test_manifest_is_parsed_once_while_the_file_is_unchanged(write_manifest):
    write_manifest({ENTRY_KEY: {"file": "assets/simulator-abc.js", "isEntry": True}})

    first = vite.load_manifest()
    second = vite.load_manifest()

    assert second is first


def test_rebuilt_manifest_is_read_again(write_manifest):
    path = write_manifest(
        {ENTRY_KEY: {"file": "assets/simulator-old.js", "isEntry": True}}
    )
    render()
    stat = path.stat()

    write_manifest({ENTRY_KEY: {"file": "assets/simulator-new.js", "isEntry": True}})
    # Same size on purpose: only the modification time tells the builds apart.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    html = render()

    assert "simulator-new.js" in html
    assert "simulator-old.js" not in html
