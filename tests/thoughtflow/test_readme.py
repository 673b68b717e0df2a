import re

from tests.processes import ROOT


def test_every_environment_variable_is_in_the_readme_and_env_example():
    settings_source = (ROOT / "thoughtflow" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    variables = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', settings_source))

    missing_in_readme = sorted(v for v in variables if f"`{v}`" not in readme)
    missing_in_example = sorted(v for v in variables if f"{v}=" not in example)

    assert len(variables) > 20
    assert missing_in_readme == []
    assert missing_in_example == []
