"""Sandboxed Jinja2 templates for workflow node configs.

Config strings that the workflow graph format documents as templates (SMS
bodies, HTTP URLs and bodies, CRM fields, variable values) are checked and
rendered here. A template reads only the roots in `ALLOWED_ROOTS`, the
`range` global and the filters in `FILTER_NAMES`. Missing keys and `None`
render as empty text, so `{{ contact.fields.missing }}` never fails a run.
A tag on a line of its own leaves no blank line behind.

Rendering is bounded. The source, every value the template builds, the
output, the operations done, the depth of calls and the CPU time are all
capped by the limits below, so a template written by a workspace member can
fail with a `TemplateError` but can't stall a worker or exhaust its memory.
The sandbox alone doesn't promise that: it lets `'x' * 10**9` allocate a
gigabyte and a loop over `range(100000)` inside another run for hours.
"""

import functools
import json
import math
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from types import TracebackType
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from jinja2 import nodes
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context, pass_environment
from jinja2.visitor import NodeTransformer

__all__ = [
    "ALLOWED_ROOTS",
    "FILTER_NAMES",
    "TemplateBudgetExceeded",
    "TemplateError",
    "TemplateSyntaxProblem",
    "render",
    "render_json",
    "template_references",
    "unknown_roots",
]

ALLOWED_ROOTS = frozenset({"contact", "trigger", "steps", "vars", "run", "workspace"})

# Limits. Real templates stay far below them: an SMS body with a loop over a
# contact's tags does a few dozen operations and renders in well under a
# millisecond.
MAX_SOURCE_CHARS = 10_000
MAX_OUTPUT_CHARS = 20_000
# Text built while rendering, by `~`, `+`, `*`, a filter or a macro.
MAX_TEXT_CHARS = 20_000
# A list, tuple or mapping built while rendering, measured as the characters
# it takes when written out. Larger than the text limit so that a literal
# such as `[trigger.form]` can hold a sizeable payload.
MAX_COLLECTION_CHARS = 100_000
# About 308 decimal digits; stops `9 ** 9 ** 9` before Python computes it.
MAX_INT_BITS = 1_024
# An operation is a lookup, a call, an operator, a filter, one round of a
# loop, or each CHARS_PER_OPERATION characters of text or collection built.
# Charging for size caps the memory a render can fill at about
# MAX_OPERATIONS * CHARS_PER_OPERATION characters.
MAX_OPERATIONS = 10_000
CHARS_PER_OPERATION = 1_000
MAX_RANGE = 1_000
MAX_CALL_DEPTH = 32
# A backstop for work the operation count doesn't see, such as hundreds of
# comparisons in each round of a loop. It measures the rendering thread's CPU
# time, so a busy machine doesn't fail a template that only waited for a
# core. Real templates take a millisecond or two.
MAX_RENDER_CPU_S = 0.25
COMPILED_CACHE_SIZE = 512

_EXCERPT_CHARS = 40
# What a number, date or other value counts for when a collection is sized.
_SCALAR_CHARS = 24


class TemplateError(Exception):
    """A template can't be compiled or rendered; nothing was produced.

    `detail` says what is wrong in words a workflow author can act on. The
    string form adds which template it was (an excerpt of its source) and
    the line when known, for logs and developers. `code` is stable.
    """

    code = "template_error"

    def __init__(
        self,
        detail: str,
        *,
        source: str | None = None,
        line: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.source = source
        self.line = line
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        where = []
        if self.source is not None:
            where.append(f"template {_excerpt(self.source)}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if not where:
            return self.detail

        return f"{self.detail} ({', '.join(where)})"


class TemplateSyntaxProblem(TemplateError):
    """The template can't be compiled: bad syntax, an unknown name, filter
    or test, or a tag workflow templates don't offer. `line` is set when
    known."""

    code = "template_syntax"


class TemplateBudgetExceeded(TemplateError):
    """The template hit a size, work or time limit and was stopped."""

    code = "template_budget_exceeded"


def _excerpt(source: str) -> str:
    text = " ".join(source.split())
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS] + "..."
    return f'"{text}"'


# Budget ------------------------------------------------------------------


class _Budget:
    """What one render may still spend.

    It lives in a context variable, so concurrent renders in threads or
    tasks each count their own work. `sizes` remembers the measured size of
    each collection seen, keeping the collection alive so its id stays
    unique; a list built from copies of one list is then measured in
    constant time instead of once per copy.
    """

    __slots__ = ("deadline", "depth", "operations_left", "sizes")

    def __init__(self) -> None:
        self.operations_left = MAX_OPERATIONS
        self.deadline = time.thread_time() + MAX_RENDER_CPU_S
        self.depth = 0
        self.sizes: dict[int, tuple[Any, int]] = {}

    def spend(self, operations: int = 1) -> None:
        self.operations_left -= operations
        if self.operations_left < 0:
            raise TemplateBudgetExceeded(
                f"The template did more than {MAX_OPERATIONS:,} operations "
                "(lookups, calls, loop rounds, text built) and was stopped. "
                "Shorten its loops or move the work into earlier steps."
            )
        if time.thread_time() > self.deadline:
            raise TemplateBudgetExceeded(
                f"The template computed for longer than {MAX_RENDER_CPU_S} s "
                "and was stopped. Shorten its loops."
            )


_budget: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _spend(operations: int = 1) -> None:
    # Outside render() there is no budget: Jinja folds constant expressions
    # while compiling, and those are bounded by the source length.
    budget = _budget.get()
    if budget is not None:
        budget.spend(operations)


def _charge_chars(chars: int) -> None:
    if chars >= CHARS_PER_OPERATION:
        _spend(chars // CHARS_PER_OPERATION)


def _refuse_text(chars: int) -> None:
    if chars > MAX_TEXT_CHARS:
        raise TemplateBudgetExceeded(
            f"The template would build a text of {chars:,} characters; the "
            f"limit is {MAX_TEXT_CHARS:,}."
        )


def _refuse_collection(chars: int) -> None:
    if chars > MAX_COLLECTION_CHARS:
        raise TemplateBudgetExceeded(
            "The template would build a list or mapping of more than "
            f"{MAX_COLLECTION_CHARS:,} characters when written out."
        )


def _refuse_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateBudgetExceeded(
            f"The template would build a number of about {bits:,} bits; the "
            f"limit is {MAX_INT_BITS:,} bits (about 300 digits)."
        )


def _size(value: Any) -> int:
    """Estimate how many characters a value takes when written out.

    Stops counting a collection soon after it passes MAX_COLLECTION_CHARS,
    so measuring costs at most about that many steps.
    """
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    # An iterator, such as a running loop, would be used up by counting.
    if isinstance(value, jinja2.Undefined | Iterator) or not isinstance(
        value, Iterable
    ):
        return _SCALAR_CHARS

    budget = _budget.get()
    sizes = budget.sizes if budget is not None else {}
    known = sizes.get(id(value))
    if known is not None:
        return known[1]

    total = 2
    if isinstance(value, Mapping):
        for key, item in value.items():
            total += _size(key) + _size(item) + 2
            if total > MAX_COLLECTION_CHARS:
                break
    else:
        for item in value:
            total += _size(item) + 2
            if total > MAX_COLLECTION_CHARS:
                break
    sizes[id(value)] = (value, total)

    return total


def _check_built(value: Any) -> Any:
    """Refuse a value the template just built if it's too big, and charge
    for its size; return the value unchanged otherwise."""
    if isinstance(value, str):
        _refuse_text(len(value))
        _charge_chars(len(value))
    elif isinstance(value, int):
        _refuse_int_bits(value.bit_length())
    elif isinstance(value, list | tuple | Mapping):
        chars = _size(value)
        _refuse_collection(chars)
        _charge_chars(chars)

    return value


def _text(value: Any) -> str:
    if value is None or isinstance(value, jinja2.Undefined):
        return ""
    return str(value)


def _capped_range(*args: int) -> range:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = MAX_RANGE + 1
    if count > MAX_RANGE:
        raise TemplateBudgetExceeded(
            f"range() may produce at most {MAX_RANGE:,} numbers in a template."
        )

    return numbers


# Filters -----------------------------------------------------------------


@pass_environment
def _join(
    environment: jinja2.Environment,
    value: Any,
    separator: str = "",
    attribute: str | None = None,
) -> str:
    if value is None:
        return ""

    parts = []
    for item in value:
        _spend()
        if attribute is not None:
            for key in str(attribute).split("."):
                item = environment.getitem(item, key)
        parts.append(_text(item))

    # Measured before joining: a long separator between many items is the
    # cheapest way to ask for gigabytes.
    separator = str(separator)
    _refuse_text(sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0))

    return separator.join(parts)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text, old, new = _text(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    _refuse_text(len(text) + hits * (len(new) - len(old)))

    return text.replace(old, new, -1 if count is None else count)


def _json_value(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        return None
    if isinstance(value, datetime | date | time_of_day):
        return value.isoformat()
    if isinstance(value, range):
        return list(value)
    raise TypeError(f"a {type(value).__name__} value can't be written as JSON")


def _to_json(value: Any) -> str:
    """Write a value as JSON; a missing value becomes `null`."""
    try:
        return json.dumps(
            value, ensure_ascii=False, allow_nan=False, default=_json_value
        )
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"The tojson filter failed: {exc}.") from exc


def _to_moment(value: Any) -> date | None:
    if value is None or isinstance(value, jinja2.Undefined) or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise TemplateError(
        "The date and datetime filters expect an ISO 8601 value such as "
        "2024-05-01 or 2024-05-01T14:30:00Z; the value given isn't one."
    )


def _format_moment(value: Any, format: str, tz: str | None) -> str:
    moment = _to_moment(value)
    if moment is None:
        return ""

    if tz and isinstance(moment, datetime):
        try:
            zone = ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise TemplateError(
                f"Unknown time zone {str(tz)[:64]!r}; use an IANA name such "
                "as America/New_York."
            ) from exc
        # Naive values come from systems that store UTC without saying so.
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(zone)

    return moment.strftime(str(format))


def _date(value: Any, format: str = "%Y-%m-%d", tz: str | None = None) -> str:
    """Format an ISO date or datetime, converted to the zone `tz` if given."""
    return _format_moment(value, format, tz)


def _datetime(value: Any, format: str = "%Y-%m-%d %H:%M", tz: str | None = None) -> str:
    """Format an ISO datetime, converted to the zone `tz` if given."""
    return _format_moment(value, format, tz)


def _counted(function: Callable[..., Any], *, builds: bool) -> Callable[..., Any]:
    """Count a filter call as an operation and, if the filter builds a new
    value, check and charge for its size. `functools.wraps` keeps Jinja's
    `pass_environment` marker on the wrapper."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        _spend()
        result = function(*args, **kwargs)
        return _check_built(result) if builds else result

    return run


# These return one of their arguments or an item of it; the others build.
_PASSING_FILTERS = frozenset({"d", "default", "first", "last"})
_AUTHOR_FILTERS: dict[str, Callable[..., Any]] = {
    **{
        name: DEFAULT_FILTERS[name]
        for name in (
            "abs",
            "capitalize",
            "count",
            "d",
            "default",
            "first",
            "float",
            "int",
            "last",
            "length",
            "lower",
            "round",
            "title",
            "trim",
            "truncate",
            "upper",
        )
    },
    "date": _date,
    "datetime": _datetime,
    "join": _join,
    "replace": _replace,
    "tojson": _to_json,
}
FILTER_NAMES = frozenset(_AUTHOR_FILTERS)


# Instrumentation ---------------------------------------------------------
#
# Compiled templates call these through filters whose names start with "_",
# which authors can't use (see _Scan.visit_Filter). The compiler calls a
# filter directly, so these don't pass through call() and its depth count.


def _loop_items(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _spend()
        yield item


def _concat(*parts: Any) -> str:
    texts = [_text(part) for part in parts]
    _refuse_text(sum(map(len, texts)))
    return _check_built("".join(texts))


# Jinja folds constant output while compiling unless a filter asks for the
# context, and folded text would be written out without being paid for.
@pass_context
def _emit(context: Context, part: Any) -> str:
    # The top-level output is capped by render(); text collected by macros,
    # {% set %} blocks and {% filter %} blocks is bounded by this charge.
    text = _text(part)
    _spend()
    _charge_chars(len(text))
    return text


def _block(text: str) -> str:
    return _check_built(text)


def _list(*items: Any) -> list[Any]:
    _spend()
    return _check_built(list(items))


def _tuple(*items: Any) -> tuple[Any, ...]:
    _spend()
    return _check_built(items)


def _dict(*keys_and_values: Any) -> dict[Any, Any]:
    _spend()
    return _check_built(
        dict(zip(keys_and_values[::2], keys_and_values[1::2], strict=True))
    )


_INTERNAL_FILTERS: dict[str, Callable[..., Any]] = {
    "_loop_items": _loop_items,
    "_concat": _concat,
    "_emit": _emit,
    "_block": _block,
    "_list": _list,
    "_tuple": _tuple,
    "_dict": _dict,
}


class _Instrument(NodeTransformer):
    """Route loops, `~`, literals and output through the counting filters."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _internal_filter("_loop_items", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _internal_filter("_concat", node.nodes, node.lineno)

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        # One call per part keeps each part's line for error messages.
        node.nodes = [
            _internal_filter(
                "_emit",
                [
                    nodes.Const(part.data, lineno=part.lineno)
                    if isinstance(part, nodes.TemplateData)
                    else part
                ],
                part.lineno,
            )
            for part in node.nodes
        ]
        return node

    def visit_AssignBlock(self, node: nodes.AssignBlock) -> nodes.Node:
        self.generic_visit(node)
        # A filter whose node is None receives the block's text.
        node.filter = nodes.Filter(
            node.filter, "_block", [], [], None, None, lineno=node.lineno
        )
        node.filter.set_environment(_ENVIRONMENT)
        return node

    # An empty literal builds nothing worth counting.

    def visit_List(self, node: nodes.List) -> nodes.Node:
        self.generic_visit(node)
        if not node.items:
            return node
        return _internal_filter("_list", node.items, node.lineno)

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        self.generic_visit(node)
        # Targets of {% set a, b = ... %} and of loops are tuples too.
        if node.ctx != "load" or not node.items:
            return node
        return _internal_filter("_tuple", node.items, node.lineno)

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        self.generic_visit(node)
        if not node.items:
            return node
        flat = [part for pair in node.items for part in (pair.key, pair.value)]
        return _internal_filter("_dict", flat, node.lineno)


def _internal_filter(name: str, args: list[Any], lineno: int) -> nodes.Filter:
    call = nodes.Filter(args[0], name, args[1:], [], None, None, lineno=lineno)
    call.set_environment(_ENVIRONMENT)
    return call


# Environment -------------------------------------------------------------

# Methods a template may call, by receiver type. Everything else callable is
# refused: str.format, center and ljust turn a short call into gigabytes, and
# no workflow template needs them.
_SAFE_METHODS: tuple[tuple[type | tuple[type, ...], frozenset[str]], ...] = (
    (
        str,
        frozenset(
            {
                "capitalize",
                "casefold",
                "count",
                "endswith",
                "find",
                "index",
                "isalnum",
                "isalpha",
                "isdecimal",
                "isdigit",
                "islower",
                "isnumeric",
                "isspace",
                "istitle",
                "isupper",
                "lower",
                "lstrip",
                "partition",
                "removeprefix",
                "removesuffix",
                "rfind",
                "rindex",
                "rpartition",
                "rsplit",
                "rstrip",
                "split",
                "splitlines",
                "startswith",
                "strip",
                "swapcase",
                "title",
                "upper",
            }
        ),
    ),
    (Mapping, frozenset({"get", "items", "keys", "values"})),
    ((list, tuple), frozenset({"count", "index"})),
    (
        (datetime, date, time_of_day),
        frozenset({"date", "isoformat", "isoweekday", "strftime", "weekday"}),
    ),
    (LoopContext, frozenset({"changed", "cycle"})),
)


def _safe_methods(obj: Any) -> frozenset[str]:
    for kind, names in _SAFE_METHODS:
        if isinstance(obj, kind):
            return names
    return frozenset()


def _builds_value(function: Any) -> bool:
    """Tell whether calling `function` makes new text or lists, as macros
    and string methods do, rather than returning data that already exists."""
    if isinstance(function, Macro):
        return True
    return isinstance(getattr(function, "__self__", None), str | date | time_of_day)


class _WorkflowEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus an operation budget and size checks."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        _spend()
        # Data keys win over dict methods, so a step with the id "items" is
        # reachable as steps.items.
        if isinstance(obj, Mapping):
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass

        return self._attribute(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _spend()
        try:
            return obj[argument]
        except (TypeError, LookupError):
            if isinstance(argument, str):
                return self._attribute(obj, argument)

        return self.undefined(obj=obj, name=argument)

    def _attribute(self, obj: Any, attribute: str) -> Any:
        if attribute.startswith("_"):
            raise self._refusal(obj, attribute)
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)

        if isinstance(value, jinja2.Undefined):
            return value
        # The sandbox would hand out a wrapped str.format here; the
        # allowlist in is_safe_attribute refuses it instead.
        if not self.is_safe_attribute(obj, attribute, value):
            raise self._refusal(obj, attribute)

        return value

    def _refusal(self, obj: Any, attribute: str) -> TemplateError:
        return TemplateError(
            f"Templates can't use {attribute!r} on a {type(obj).__name__} "
            "value. Read data fields instead, such as contact.first_name."
        )

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False

        return not callable(value) or attr in _safe_methods(obj)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = _budget.get()
        if budget is None:
            return super().call(context, obj, *args, **kwargs)

        budget.spend()
        # The inner rounds of a recursive loop iterate what is passed to
        # loop(), which the instrumented {% for %} never sees.
        if isinstance(obj, LoopContext) and args:
            args = (_loop_items(args[0]), *args[1:])
        if budget.depth >= MAX_CALL_DEPTH:
            raise TemplateBudgetExceeded(
                f"Calls nest deeper than {MAX_CALL_DEPTH} levels; a macro or "
                "recursive loop probably calls itself without end."
            )

        budget.depth += 1
        try:
            result = super().call(context, obj, *args, **kwargs)
        finally:
            budget.depth -= 1

        return _check_built(result) if _builds_value(obj) else result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _spend()
        if operator == "%" and isinstance(left, str):
            raise TemplateError(
                "Text formatting with '%' isn't available in templates; join "
                "text with ~ and format numbers with the round filter."
            )
        if operator == "*":
            _check_repeat(left, right)
        elif operator == "**":
            _check_power(left, right)

        return _check_built(self.binop_table[operator](left, right))


def _check_repeat(left: Any, right: Any) -> None:
    # Measured before multiplying: by the time 'x' * 10**9 returns, the
    # memory is already spent.
    for sequence, times in ((left, right), (right, left)):
        if not isinstance(times, int):
            continue
        if isinstance(sequence, str):
            _refuse_text(len(sequence) * max(times, 0))
        elif isinstance(sequence, list | tuple):
            _refuse_collection(_size(sequence) * max(times, 0))


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1:
        _refuse_int_bits(base.bit_length() * max(exponent, 0))


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


_ENVIRONMENT = _WorkflowEnvironment(
    # The output is SMS text, URLs and JSON, never HTML.
    autoescape=False,
    undefined=jinja2.ChainableUndefined,
    finalize=_blank_none,
    # Constant folding evaluates expressions while compiling, outside the
    # budget, and writes some results (a float NaN) as code that can't run.
    optimized=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENVIRONMENT.globals.clear()
_ENVIRONMENT.globals["range"] = _capped_range
_ENVIRONMENT.filters = {
    **{
        name: _counted(function, builds=name not in _PASSING_FILTERS)
        for name, function in _AUTHOR_FILTERS.items()
    },
    **_INTERNAL_FILTERS,
}


# Static analysis ---------------------------------------------------------

_UNAVAILABLE_TAGS: dict[type[nodes.Node], str] = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from",
}


class _Scan:
    """Walk a parsed template and note what it reads from its context.

    Names the template binds itself ({% set %}, loop targets and `loop`,
    macro names and arguments, `caller`, {% with %}) are tracked by scope
    and aren't reads. A chain of attributes and constant string subscripts
    becomes one dotted path; the path stops before any other subscript, and
    the method of a call such as `contact.first_name.upper()` is dropped.
    A macro's `varargs` and `kwargs` aren't offered: they would let calls
    build ever larger argument lists.
    """

    def __init__(self) -> None:
        self.references: dict[str, int] = {}
        self.roots: dict[str, int] = {}
        self.problems: list[tuple[str, int]] = []
        self._scopes: list[set[str]] = [set()]

    def visit(self, node: nodes.Node | None) -> None:
        if node is None:
            return
        for kind, tag in _UNAVAILABLE_TAGS.items():
            if isinstance(node, kind):
                self.problems.append(
                    (
                        f"The {{% {tag} %}} tag isn't available in workflow "
                        "templates; each template stands alone.",
                        node.lineno,
                    )
                )
                return

        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None:
            method(node)
        else:
            self.visit_all(node.iter_child_nodes())

    def visit_all(self, children: Iterable[nodes.Node]) -> None:
        for child in children:
            self.visit(child)

    def visit_Const(self, node: nodes.Const) -> None:
        # 1e400 parses as infinity, which Jinja would write into the
        # compiled code as the undefined name `inf`.
        if isinstance(node.value, float) and not math.isfinite(node.value):
            self.problems.append(
                ("A number in the template is too large.", node.lineno)
            )

    def visit_Name(self, node: nodes.Name) -> None:
        if node.ctx == "load":
            self._read(node.name, [], node.lineno)

    def visit_Getattr(self, node: nodes.Getattr) -> None:
        self._visit_path(node)

    def visit_Getitem(self, node: nodes.Getitem) -> None:
        self._visit_path(node)

    def visit_Call(self, node: nodes.Call) -> None:
        if isinstance(node.node, nodes.Getattr):
            self._visit_path(node.node.node)
        else:
            self.visit(node.node)
        self.visit_all(node.args)
        self.visit_all(node.kwargs)
        self.visit(node.dyn_args)
        self.visit(node.dyn_kwargs)

    def visit_Filter(self, node: nodes.Filter) -> None:
        if node.name not in FILTER_NAMES:
            self.problems.append(
                (
                    f"Unknown filter {node.name!r}. Available filters: "
                    f"{', '.join(sorted(FILTER_NAMES))}.",
                    node.lineno,
                )
            )
        self.visit_all(node.iter_child_nodes())

    def visit_Test(self, node: nodes.Test) -> None:
        if node.name not in _ENVIRONMENT.tests:
            self.problems.append((f"Unknown test {node.name!r}.", node.lineno))
        self.visit_all(node.iter_child_nodes())

    def visit_Assign(self, node: nodes.Assign) -> None:
        self.visit(node.node)
        self._bind(node.target)

    def visit_AssignBlock(self, node: nodes.AssignBlock) -> None:
        self.visit_all(node.body)
        self.visit(node.filter)
        self._bind(node.target)

    def visit_For(self, node: nodes.For) -> None:
        self.visit(node.iter)
        self._scopes.append({"loop"})
        self._bind(node.target)
        self.visit(node.test)
        self.visit_all(node.body)
        self._scopes.pop()
        self.visit_all(node.else_)

    def visit_Macro(self, node: nodes.Macro) -> None:
        # Bound before the body so that a macro may call itself.
        self._scopes[-1].add(node.name)
        self.visit_all(node.defaults)
        self._scopes.append({"caller"})
        for argument in node.args:
            self._bind(argument)
        self.visit_all(node.body)
        self._scopes.pop()

    def visit_CallBlock(self, node: nodes.CallBlock) -> None:
        self.visit(node.call)
        self.visit_all(node.defaults)
        self._scopes.append(set())
        for argument in node.args:
            self._bind(argument)
        self.visit_all(node.body)
        self._scopes.pop()

    def visit_With(self, node: nodes.With) -> None:
        self.visit_all(node.values)
        self._scopes.append(set())
        for target in node.targets:
            self._bind(target)
        self.visit_all(node.body)
        self._scopes.pop()

    def visit_Block(self, node: nodes.Block) -> None:
        self._scopes.append(set())
        self.visit_all(node.body)
        self._scopes.pop()

    def _visit_path(self, node: nodes.Node) -> None:
        segments: list[str] = []
        while isinstance(node, nodes.Getattr | nodes.Getitem):
            if isinstance(node, nodes.Getattr):
                segments.append(node.attr)
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                segments.append(node.arg.value)
            else:
                # A computed or numeric subscript: what lies beyond it
                # depends on data, so the path ends before it.
                self.visit(node.arg)
                segments.clear()
            node = node.node

        if isinstance(node, nodes.Name) and node.ctx == "load":
            self._read(node.name, segments[::-1], node.lineno)
        else:
            self.visit(node)

    def _read(self, name: str, segments: list[str], line: int) -> None:
        if any(name in scope for scope in self._scopes):
            return
        if name in _ENVIRONMENT.globals:
            return
        self.references.setdefault(".".join([name, *segments]), line)
        self.roots.setdefault(name, line)

    def _bind(self, target: nodes.Node) -> None:
        if isinstance(target, nodes.NSRef):
            self._read(target.name, [], target.lineno)
        elif isinstance(target, nodes.Name):
            self._scopes[-1].add(target.name)
        else:
            for name in target.find_all(nodes.Name):
                self._scopes[-1].add(name.name)


def _parse(source: str) -> nodes.Template:
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateBudgetExceeded(
            f"The template is {len(source):,} characters long; the limit is "
            f"{MAX_SOURCE_CHARS:,}.",
            source=source,
        )
    try:
        return _ENVIRONMENT.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateSyntaxProblem(
            f"Invalid template syntax: {exc.message}",
            source=source,
            line=exc.lineno,
        ) from exc
    except RecursionError as exc:
        raise _too_deep(source) from exc
    # The lexer converts number literals with int(), which refuses more
    # than 4,300 digits.
    except ValueError as exc:
        raise TemplateSyntaxProblem(
            "A number in the template is too long.", source=source
        ) from exc


def _scan(source: str, tree: nodes.Template | None = None) -> _Scan:
    scan = _Scan()
    try:
        scan.visit(tree or _parse(source))
    except RecursionError as exc:
        raise _too_deep(source) from exc
    return scan


def _too_deep(source: str) -> TemplateSyntaxProblem:
    return TemplateSyntaxProblem(
        "The template nests expressions too deeply; simplify it.", source=source
    )


# Compiling and rendering -------------------------------------------------


@functools.lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compile(source: str) -> jinja2.Template:
    tree = _parse(source)
    scan = _scan(source, tree)
    if scan.problems:
        detail, line = scan.problems[0]
        raise TemplateSyntaxProblem(detail, source=source, line=line)
    for name, line in scan.roots.items():
        if name not in ALLOWED_ROOTS:
            raise TemplateSyntaxProblem(
                f"Unknown name {name!r}. Templates can read "
                f"{', '.join(sorted(ALLOWED_ROOTS))}.",
                source=source,
                line=line,
            )

    try:
        return _ENVIRONMENT.from_string(_Instrument().visit(tree))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateSyntaxProblem(
            f"Invalid template: {exc.message}", source=source, line=exc.lineno
        ) from exc
    # Python's own compiler refuses code nested 200 brackets deep.
    except (RecursionError, SyntaxError) as exc:
        raise _too_deep(source) from exc


# What Python or Jinja raise for a bad template rather than a bug here.
_RENDER_FAILURES = (
    jinja2.TemplateError,
    ArithmeticError,
    AttributeError,
    LookupError,
    RecursionError,
    TypeError,
    ValueError,
)


def _template_line(exc: BaseException) -> int | None:
    """Find the template line Jinja wrote into the exception's traceback."""
    line = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _explain(exc: Exception) -> TemplateError:
    if isinstance(exc, jinja2.UndefinedError):
        return TemplateError(f"A value the template uses is missing: {exc.message}.")
    if isinstance(exc, jinja2.TemplateError):
        return TemplateError(f"The template failed: {exc.message}.")
    if isinstance(exc, ZeroDivisionError):
        return TemplateError("The template divides by zero.")
    if isinstance(exc, ArithmeticError):
        return TemplateError("A number in the template is out of range.")
    if isinstance(exc, RecursionError):
        return TemplateBudgetExceeded("The template nests values or calls too deeply.")
    return TemplateError(f"The template used a value the wrong way: {exc}.")


def check(source: str) -> None:
    """Compile `source` exactly as `render` would, without rendering it.

    Raises TemplateSyntaxProblem for anything that stops the template from
    ever running: bad syntax, unknown names, filters or tests, includes.
    """
    _compile(source)


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render a template against a run's context and return the text.

    Only the keys of `context` named in `ALLOWED_ROOTS` are visible. Raises
    `TemplateSyntaxProblem` before rendering anything if the template is
    invalid, `TemplateBudgetExceeded` when it hits a limit, and
    `TemplateError` for any other failure; never another exception type for
    a bad template. Compiled templates are cached by source.
    """
    template = _compile(source)
    values = {name: context[name] for name in ALLOWED_ROOTS if name in context}

    chunks: list[str] = []
    length = 0
    token = _budget.set(_Budget())
    # Jinja declares generate() as returning an iterator; it is a generator,
    # and closing it ends a render stopped halfway.
    stream = cast(Generator[str, None, None], template.generate(values))
    try:
        for chunk in stream:
            length += len(chunk)
            if length > MAX_OUTPUT_CHARS:
                raise TemplateBudgetExceeded(
                    f"The template's output passed {MAX_OUTPUT_CHARS:,} "
                    "characters and was stopped."
                )
            chunks.append(chunk)
    except TemplateError as exc:
        exc.source = source
        exc.line = exc.line or _template_line(exc)
        raise
    except _RENDER_FAILURES as exc:
        error = _explain(exc)
        error.source, error.line = source, _template_line(exc)
        raise error from exc
    finally:
        stream.close()
        _budget.reset(token)

    return "".join(chunks)


def render_json(source: str, context: Mapping[str, Any]) -> Any:
    """Render a JSON template, such as an HTTP body, and parse the result.

    `{{ ... }}` inserts raw text, so authors write values with the tojson
    filter: `{"name": {{ contact.first_name | tojson }}}`. It quotes and
    escapes the value, so a quote or newline in the data can't break the
    document or add keys to it. Raises `TemplateError` with the code
    `template_invalid_json` when the output isn't valid JSON (NaN and
    Infinity included), and the errors of `render` otherwise.
    """
    text = render(source, context)
    try:
        return json.loads(text, parse_constant=_refuse_json_constant)
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            problem = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        else:
            problem = str(exc)
        raise TemplateError(
            f"The rendered text isn't valid JSON: {problem}. Insert values "
            "with the tojson filter, for example "
            "{{ contact.first_name | tojson }}.",
            source=source,
            code="template_invalid_json",
        ) from exc


def _refuse_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def template_references(source: str) -> set[str]:
    """List the dotted context paths a template reads, without rendering it.

    `{{ steps['ask'].outcome }}` gives "steps.ask.outcome"; a computed or
    numeric subscript ends the path (`contact.tags[0]` gives
    "contact.tags"); a called method is dropped (`contact.first_name.upper()`
    gives "contact.first_name"). Names the template binds itself and the
    `range` global are left out. Raises `TemplateSyntaxProblem` if the
    template can't be parsed.
    """
    return set(_scan(source).references)


def unknown_roots(source: str) -> set[str]:
    """List the top-level names a template reads that templates can't use.

    `render` refuses a template that reads any of them, so an editor can
    flag it before publishing. Raises `TemplateSyntaxProblem` if the
    template can't be parsed.
    """
    return set(_scan(source).roots) - ALLOWED_ROOTS
