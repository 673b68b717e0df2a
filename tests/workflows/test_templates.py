import time

import pytest

from workflows import templates
from workflows.templates import (
    TemplateBudgetExceeded,
    TemplateError,
    TemplateSyntaxProblem,
    render,
    render_json,
    template_references,
    unknown_roots,
)

# Generous: each adversarial case fails in a few milliseconds; the margin is
# for slow CI machines, not for the templates.
FAST_S = 1.0


def make_context() -> dict:
    return {
        "contact": {
            "first_name": "Ana",
            "last_name": "Silva",
            "email": None,
            "tags": ["vip", "new"],
            "fields": {"plan": "gold"},
        },
        "trigger": {"form": {"message": "Call me back"}},
        "steps": {"ask": {"outcome": "interested"}},
        "vars": {"score": 7.456},
        "run": {"id": 12, "started_at": "2024-05-01T14:30:00Z"},
        "workspace": {"name": "Acme Dental"},
    }


def render_failure(source: str, context: dict | None = None) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        render(source, make_context() if context is None else context)
    return caught.value


# Rendering ---------------------------------------------------------------


def test_render_reads_nested_context() -> None:
    source = (
        "Hi {{ contact.first_name }}, {{ workspace.name }} got "
        "'{{ trigger.form.message }}' ({{ steps['ask'].outcome }}, "
        "{{ contact.fields.plan }})."
    )

    text = render(source, make_context())

    assert text == "Hi Ana, Acme Dental got 'Call me back' (interested, gold)."


def test_missing_keys_and_none_render_empty() -> None:
    source = (
        "[{{ contact.fields.missing }}][{{ contact.fields.missing.deeper }}]"
        "[{{ steps.absent.outcome }}][{{ contact.email }}][{{ vars }}]"
    )

    text = render(source, {"contact": make_context()["contact"], "steps": {}})

    assert text == "[][][][][]"


def test_default_filter_fills_a_missing_value() -> None:
    source = (
        "{{ contact.fields.missing | default('there') }} "
        "{{ contact.first_name | default('there') }}"
    )

    text = render(source, make_context())

    assert text == "there Ana"


def test_common_filters_work() -> None:
    source = (
        "{{ contact.tags | join(', ') | upper }}|{{ vars.score | round(1) }}|"
        "{{ '  x ' | trim }}|{{ contact.tags | length }}|"
        "{{ 'a-b' | replace('-', '+') }}|{{ '42' | int + 1 }}|"
        "{{ 'hello world' | title }}|{{ 'one two three four five' | truncate(9) }}"
    )

    text = render(source, make_context())

    assert text == "VIP, NEW|7.5|x|2|a+b|43|Hello World|one..."


def test_date_filters_format_iso_values_in_a_time_zone() -> None:
    source = (
        "{{ run.started_at | date('%d %b %Y') }}|"
        "{{ run.started_at | datetime('%H:%M', 'America/New_York') }}|"
        "{{ '2024-05-01' | date }}|{{ contact.fields.missing | datetime }}"
    )

    text = render(source, make_context())

    assert text == "01 May 2024|10:30|2024-05-01|"


def test_date_filter_refuses_a_value_that_is_not_iso() -> None:
    error = render_failure("{{ 'next tuesday' | date }}")

    assert "expect an ISO 8601 value" in error.detail


def test_tojson_writes_values_and_null_for_missing() -> None:
    source = "{{ contact.tags | tojson }} {{ contact.fields.missing | tojson }}"

    text = render(source, make_context())

    assert text == '["vip", "new"] null'


def test_tag_on_its_own_line_leaves_no_blank_line() -> None:
    source = (
        "Hi\n{% if contact.first_name %}\n{{ contact.first_name }}\n{% endif %}\nBye"
    )

    text = render(source, make_context())

    assert text == "Hi\nAna\nBye"


def test_dict_methods_are_callable_and_data_keys_win() -> None:
    context = {"steps": {"ask": {"outcome": "yes"}, "items": {"outcome": "no"}}}

    text = render(
        "{{ steps.ask.items() | length }} {{ steps.ask.get('outcome') }} "
        "{{ steps.items.outcome }}",
        context,
    )

    assert text == "1 yes no"


def test_macros_loops_and_set_work() -> None:
    source = (
        "{% macro badge(tag) %}#{{ tag }}{% endmacro %}"
        "{% set sep = ' ' %}"
        "{% for tag in contact.tags %}{{ badge(tag) }}"
        "{% if not loop.last %}{{ sep }}{% endif %}{% endfor %}"
    )

    text = render(source, make_context())

    assert text == "#vip #new"


def test_only_allowed_roots_are_visible() -> None:
    context = {**make_context(), "secret": "s3cr3t"}

    error = render_failure("{{ secret }}", context)

    assert isinstance(error, TemplateSyntaxProblem)
    assert error.detail == (
        "Unknown name 'secret'. Templates can read contact, run, steps, "
        "trigger, vars, workspace."
    )


# Sandbox -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "attribute"),
    [
        ("{{ contact.__class__ }}", "__class__"),
        ("{{ ''.__class__.__mro__ }}", "__class__"),
        ("{{ contact['__class__'] }}", "__class__"),
        ("{{ contact.first_name._x }}", "_x"),
        ("{{ '{:>999999999}'.format(1) }}", "format"),
        ("{{ 'x'.center(999999999) }}", "center"),
        ("{{ contact.tags.append('x') }}", "append"),
        ("{{ contact.pop('tags') }}", "pop"),
    ],
)
def test_unsafe_attribute_access_is_refused(source: str, attribute: str) -> None:
    error = render_failure(source)

    assert type(error) is TemplateError
    assert error.detail.startswith(f"Templates can't use {attribute!r} on a ")


def test_refused_mutation_leaves_context_unchanged() -> None:
    context = make_context()

    with pytest.raises(TemplateError):
        render("{{ contact.tags.append('x') }}", context)

    assert context["contact"]["tags"] == ["vip", "new"]


@pytest.mark.parametrize(
    "name", ["cycler", "joiner", "lipsum", "namespace", "dict", "self"]
)
def test_jinja_globals_are_unavailable(name: str) -> None:
    error = render_failure(f"{{{{ {name} }}}}")

    assert isinstance(error, TemplateSyntaxProblem)
    assert error.detail.startswith(f"Unknown name {name!r}.")


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        ("{{ contact | attr('x') }}", "Unknown filter 'attr'."),
        ("{% include 'other' %}", "The {% include %} tag isn't available"),
        ("{% extends 'base' %}", "The {% extends %} tag isn't available"),
        ("{% import 'm' as m %}", "The {% import %} tag isn't available"),
        ("{{ 1 | _emit }}", "Unknown filter '_emit'."),
        ("{% macro m() %}{{ varargs }}{% endmacro %}", "Unknown name 'varargs'."),
        ("{{ 'x%s' % contact.first_name }}", "Text formatting with '%'"),
    ],
)
def test_features_outside_the_template_language_are_refused(
    source: str, detail: str
) -> None:
    error = render_failure(source)

    assert error.detail.startswith(detail)


# Budget ------------------------------------------------------------------

ADVERSARIAL = {
    "nested loops": (
        "{% for i in range(1000) %}{% for j in range(1000) %}"
        "{{ i }}{% endfor %}{% endfor %}",
        "The template did more than 10,000 operations",
    ),
    "huge text": (
        "{{ 'x' * 10**9 }}",
        "The template would build a text of 1,000,000,000 characters",
    ),
    "huge list": (
        "{{ [1] * 10**9 }}",
        "The template would build a list or mapping of more than 100,000",
    ),
    "huge number": (
        "{{ 9 ** 999999 }}",
        "The template would build a number of about",
    ),
    "range": (
        "{% for i in range(10**9) %}{% endfor %}",
        "range() may produce at most 1,000 numbers",
    ),
    "recursive macro": (
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "Calls nest deeper than 32 levels",
    ),
    "doubling macro": (
        "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('x') }}",
        "The template would build a text of 32,768 characters",
    ),
    "recursive loop": (
        "{% for x in [1] recursive %}{{ loop([1, 2]) }}{% endfor %}",
        "Calls nest deeper than 32 levels",
    ),
    "join amplification": (
        "{{ range(1000) | join('x' * 20000) }}",
        "The template would build a text of 19,982,890 characters",
    ),
    "replace amplification": (
        "{{ ('x' * 20000) | replace('x', 'y' * 20000) }}",
        "The template would build a text of 400,000,000 characters",
    ),
    "aliased list doubling": (
        "{% set a = [1] %}" + "{% set a=[a,a] %}" * 500 + "{{ a }}",
        "The template would build a list or mapping of more than 100,000",
    ),
    "set block in loops": (
        "{% set y %}{% for i in range(1000) %}{% for j in range(9) %}"
        + "s" * 5000
        + "{% endfor %}{% endfor %}{% endset %}{{ y | length }}",
        "The template did more than 10,000 operations",
    ),
}


@pytest.mark.parametrize(
    ("source", "detail"), ADVERSARIAL.values(), ids=ADVERSARIAL.keys()
)
def test_adversarial_template_fails_fast(source: str, detail: str) -> None:
    started = time.perf_counter()

    with pytest.raises(TemplateBudgetExceeded) as caught:
        render(source, make_context())

    assert time.perf_counter() - started < FAST_S
    assert caught.value.detail.startswith(detail)


def test_cpu_limit_stops_work_the_operation_count_misses() -> None:
    """Each round does hundreds of uncounted comparisons of long strings."""
    source = (
        "{% set s = 'x' * 19000 %}{% set t = 'x' * 19000 %}"
        "{% for i in range(1000) %}{% for j in range(9) %}"
        + "{% if s == t %}{% endif %}" * 370
        + "{% endfor %}{% endfor %}"
    )
    started = time.perf_counter()

    with pytest.raises(TemplateBudgetExceeded):
        render(source, {})

    assert time.perf_counter() - started < FAST_S


def test_cpu_limit_error_says_what_stopped_the_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(templates, "MAX_RENDER_CPU_S", 0.0)

    error = render_failure("{{ contact.first_name }}")

    assert isinstance(error, TemplateBudgetExceeded)
    assert error.detail == (
        "The template computed for longer than 0.0 s and was stopped. "
        "Shorten its loops."
    )


def test_each_render_gets_a_fresh_budget() -> None:
    source = "{% for i in range(1000) %}{% for j in range(4) %}{% endfor %}{% endfor %}"

    first = render(source, {})
    second = render(source, {})

    assert first == second == ""


def test_output_is_capped() -> None:
    source = "{% for i in range(1000) %}{{ 'x' * 100 }}{% endfor %}"
    started = time.perf_counter()

    error = render_failure(source)

    assert time.perf_counter() - started < FAST_S
    assert isinstance(error, TemplateBudgetExceeded)
    assert error.detail == (
        "The template's output passed 20,000 characters and was stopped."
    )


def test_source_length_is_capped() -> None:
    error = render_failure("x" * 10_001)

    assert isinstance(error, TemplateBudgetExceeded)
    assert error.detail == (
        "The template is 10,001 characters long; the limit is 10,000."
    )


def test_deeply_nested_expression_is_a_syntax_problem() -> None:
    error = render_failure("{{ " + "(" * 300 + "1" + ")" * 300 + " }}")

    assert isinstance(error, TemplateSyntaxProblem)
    assert error.detail == "The template nests expressions too deeply; simplify it."


# Errors ------------------------------------------------------------------


def test_syntax_error_reports_line_and_template() -> None:
    source = "Hello\n{{ contact.first_name }\nBye"

    error = render_failure(source)

    assert isinstance(error, TemplateSyntaxProblem)
    assert error.line == 2
    assert error.detail == "Invalid template syntax: unexpected '}'"
    assert str(error) == (
        "Invalid template syntax: unexpected '}' "
        '(template "Hello {{ contact.first_name } Bye", line 2)'
    )


def test_unknown_filter_reports_line() -> None:
    error = render_failure("Hi\n\n{{ contact.tags | map('upper') }}")

    assert isinstance(error, TemplateSyntaxProblem)
    assert error.line == 3
    assert error.detail.startswith("Unknown filter 'map'. Available filters: abs,")


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        ("one\n{{ 1 / 0 }}", "The template divides by zero."),
        (
            "one\n{{ contact.first_name - 1 }}",
            "The template used a value the wrong way: unsupported operand "
            "type(s) for -: 'str' and 'int'.",
        ),
        (
            "one\n{{ contact.fields.missing() }}",
            "A value the template uses is missing: 'dict object' has no "
            "attribute 'missing'.",
        ),
        ("one\n{{ 2.0 ** 100000 }}", "A number in the template is out of range."),
        (
            "one\n{{ run.started_at | datetime('%H', 'Mars/Base') }}",
            "Unknown time zone 'Mars/Base'; use an IANA name such as America/New_York.",
        ),
    ],
)
def test_runtime_failure_becomes_template_error_with_line(
    source: str, detail: str
) -> None:
    error = render_failure(source)

    assert type(error) is TemplateError
    assert error.detail == detail
    assert error.line == 2
    assert error.source == source


# JSON --------------------------------------------------------------------


def test_render_json_parses_values_written_with_tojson() -> None:
    context = make_context()
    context["contact"]["first_name"] = 'Ana "AJ"\nSilva'
    source = (
        '{"name": {{ contact.first_name | tojson }}, '
        '"tags": {{ contact.tags | tojson }}, "run": {{ run.id }}}'
    )

    body = render_json(source, context)

    assert body == {"name": 'Ana "AJ"\nSilva', "tags": ["vip", "new"], "run": 12}


def test_render_json_explains_invalid_json() -> None:
    context = make_context()
    context["contact"]["first_name"] = 'Ana "AJ"'

    with pytest.raises(TemplateError) as caught:
        render_json('{"name": "{{ contact.first_name }}"}', context)

    assert caught.value.code == "template_invalid_json"
    assert caught.value.detail == (
        "The rendered text isn't valid JSON: Expecting ',' delimiter at line "
        "1, column 16. Insert values with the tojson filter, for example "
        "{{ contact.first_name | tojson }}."
    )


def test_render_json_refuses_nan() -> None:
    with pytest.raises(TemplateError) as caught:
        render_json('{"x": NaN}', {})

    assert caught.value.code == "template_invalid_json"
    assert "NaN is not a JSON value" in caught.value.detail


def test_render_json_passes_render_errors_through() -> None:
    with pytest.raises(TemplateSyntaxProblem) as caught:
        render_json('{"x": {{ }}', {})

    assert caught.value.code == "template_syntax"


# Static analysis ---------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "{{ contact.first_name }} {{ steps.ask.outcome | default('x') }} "
            "{% if trigger.form.message %}yes{% endif %}",
            {"contact.first_name", "steps.ask.outcome", "trigger.form.message"},
        ),
        ("{{ steps['ask'].outcome }}", {"steps.ask.outcome"}),
        ("{{ contact }}", {"contact"}),
        (
            "{% set greeting = 'Hi ' ~ contact.first_name %}{{ greeting.upper() }}",
            {"contact.first_name"},
        ),
        (
            "{% for tag in contact.tags %}{{ tag }}{{ loop.index }}{% endfor %}",
            {"contact.tags"},
        ),
        (
            "{{ vars.score | round(steps.calc.digits) }}"
            "{% if vars.score is divisibleby(run.step) %}{% endif %}",
            {"vars.score", "steps.calc.digits", "run.step"},
        ),
        (
            "{{ contact.tags[0] }} {{ steps[vars.node].outcome }}",
            {"contact.tags", "steps", "vars.node"},
        ),
        (
            "{{ contact.first_name.upper() }} {{ trigger.form.items() }}",
            {"contact.first_name", "trigger.form"},
        ),
        (
            "{% macro greet(name) %}{{ name }} {{ workspace.name }}{% endmacro %}"
            "{{ greet(contact.first_name) }}",
            {"contact.first_name", "workspace.name"},
        ),
        (
            "{% with n = contact.first_name %}{{ n }}{% endwith %}"
            "{% set a, b = contact.last_name, 1 %}{{ a }}{{ b }}",
            {"contact.first_name", "contact.last_name"},
        ),
        (
            "{% set body %}{{ contact.email }}{% endset %}{{ body }}",
            {"contact.email"},
        ),
        ("{{ range(3) | join }} {{ foo.bar }}", {"foo.bar"}),
        ("{% for t in contact.tags %}{% endfor %}{{ t }}", {"contact.tags", "t"}),
    ],
)
def test_template_references(source: str, expected: set[str]) -> None:
    assert template_references(source) == expected


def test_template_references_raise_on_syntax_error() -> None:
    with pytest.raises(TemplateSyntaxProblem) as caught:
        template_references("ok\n{% if contact.first_name %}")

    assert caught.value.line == 2


def test_unknown_roots_skip_allowed_local_and_global_names() -> None:
    source = (
        "{% set local = 1 %}{{ local }} {{ contact.first_name }} "
        "{{ range(2) | join }} {{ contcat.first_name }} {{ cycler }}"
    )

    assert unknown_roots(source) == {"contcat", "cycler"}
