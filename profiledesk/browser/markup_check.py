"""`make lint`: nothing but constants is marked safe, and pages keep to the CSP (issue 12).

A value a customer, caller, client system or staff member wrote reaches a page only
through Django's autoescaping. These are the ways around it, each refused unless what it
marks safe is a constant written in the source:

- Python: `mark_safe(x)`, `SafeString(x)`; `format_html(fmt, …)` whose format is not a
  constant (or that has no arguments: then it is `mark_safe`); `help_text=` / `.help_text =`
  that is not a constant or built by an escaping function — Django's, crispy's and the
  admin's form templates print help texts with `|safe`, which is how a stored customer
  name ran as script on New request (issue 12); crispy layout objects that print their
  first argument with `|safe` (`Fieldset` legend, `HTML`); `autoescape=` other than True.
- Templates: `|safe` / `|safeseq` after anything but a string literal, `{% autoescape off %}`,
  `{% filter … safe %}`, and a `{# #}` comment over several lines (Django prints it).
- Templates of pages (not e-mails): what the Content-Security-Policy refuses or makes htmx
  evaluate — inline `<script>`, `on…=` handlers, `style=`, `<style>`, `javascript:` URLs,
  `hx-on`, `js:` values, `hx-trigger` filters `[…]`.

It reads the source (like `audit/history_guard.untracked_writes`), so a violation is found
before it runs: `path:line: what`, one a line, exit status 1.
Run: `python -m profiledesk.browser.markup_check [PATH …]` (default: the desk's code and
templates). `tests/browser_defences/test_markup_check.py` plants violations to prove it
catches each.
"""

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_PATHS = ("profiledesk", "audit", "verification", "templates")

TRANSLATE = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext",
             "ngettext_lazy", "npgettext", "npgettext_lazy", "gettext_noop"}  # fmt: skip
# Calls whose result is escaped text (format_html is itself checked where it is called).
ESCAPING = {"format_html", "format_html_join", "conditional_escape", "escape"}

# Project functions that may be called where an escaped value is needed: each is checked
# too — every value it returns must be a constant or escaped (as ESCAPING builds it).
ESCAPING_HELPERS: dict[tuple[str, str], str] = {
    ("profiledesk/intake/forms.py", "_now"): "format_html with the stored value as argument",
    ("profiledesk/intake/forms.py", "_help_with_now"): "format_html of a help text and _now",
}

# (path, enclosing function, rule): reason. Kept small: each entry is reviewed.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("profiledesk/messaging/rendering.py", "_render", "autoescape"): (
        "renders a message part with the autoescape its caller names"
    ),
    ("profiledesk/messaging/rendering.py", "message_render", "autoescape"): (
        "subject and body.txt are text/plain (e-mail text part, SMS), never HTML; "
        "body.html is rendered with autoescape=True"
    ),
    ("profiledesk/confirmations/services.py", "_render_text", "autoescape"): (
        "the in-app notification's title, body and link label are plain text in a JSON "
        "event (docs/webhooks.md tells the app to escape them), never a desk page"
    ),
}

# crispy-forms layout objects whose template prints their first argument with |safe.
CRISPY_SAFE_FIRST_ARG = {"Fieldset", "HTML", "Alert"}


# --- Python --------------------------------------------------------------------------


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _constant(node: ast.expr) -> bool:
    """A string written in the source, translated or not."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.Call) and _name(node.func) in TRANSLATE | {"str"}:
        return bool(node.args) and all(_constant(a) for a in node.args) and not node.keywords
    return False


def _escaped(node: ast.expr, helpers: set[str]) -> bool:
    """A constant, or built by an escaping function (or a checked helper)."""
    if _constant(node):
        return True
    if isinstance(node, ast.IfExp):
        return _escaped(node.body, helpers) and _escaped(node.orelse, helpers)
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in ESCAPING or name in helpers:
            return True
        if name in {"mark_safe", "SafeString"}:
            return len(node.args) == 1 and _constant(node.args[0])
    return False


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, helpers: set[str]):
        self.path = path
        self.helpers = helpers
        self.function = ""
        self.found: list[tuple[int, str, str]] = []  # (line, rule, message)

    def _is_escaped(self, node: ast.expr) -> bool:
        return _escaped(node, self.helpers)

    def _report(self, node: ast.stmt | ast.expr, rule: str, message: str) -> None:
        if (self.path, self.function, rule) not in ALLOWED:
            self.found.append((node.lineno, rule, message))

    def visit_FunctionDef(self, node):
        outer, self.function = self.function, node.name
        if (self.path, node.name) in ESCAPING_HELPERS:
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and not (
                    ret.value is not None and _escaped(ret.value, self.helpers)
                ):
                    self._report(
                        ret,
                        "helper",
                        f"{node.name}() is listed in ESCAPING_HELPERS but returns a value "
                        "that is neither a constant nor escaped",
                    )
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call):
        name = _name(node.func)
        if name in {"mark_safe", "SafeString", "SafeText"} and not (
            len(node.args) == 1 and _constant(node.args[0])
        ):
            self._report(node, "mark_safe", f"{name}() of a value that is not a constant")
        elif name == "format_html":
            if not node.args or not _constant(node.args[0]):
                self._report(node, "format_html", "format_html() of a format not a constant")
            elif len(node.args) == 1 and not node.keywords:
                self._report(node, "format_html", "format_html() without arguments: mark_safe")
        elif name in CRISPY_SAFE_FIRST_ARG and node.args and not self._is_escaped(node.args[0]):
            self._report(node, "crispy", f"{name}() prints its first argument unescaped")
        for keyword in node.keywords:
            if keyword.arg == "help_text" and not self._is_escaped(keyword.value):
                self._report(keyword.value, "help_text", "help_text= neither constant nor escaped")
            if keyword.arg == "autoescape" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is True
            ):
                self._report(keyword.value, "autoescape", "autoescape= other than True")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign):
        for target in node.targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "help_text"
                and not _escaped(node.value, self.helpers)
            ):
                self._report(node, "help_text", ".help_text = a value neither constant nor escaped")
        self.generic_visit(node)


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def check_python(path: Path) -> Iterator[str]:
    relative = _relative(path)
    helpers = {name for (where, name) in ESCAPING_HELPERS if where == relative}
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    visitor = _Visitor(relative, helpers)
    visitor.visit(tree)
    for line, _rule, message in sorted(visitor.found):
        yield f"{path}:{line}: {message}"


# --- templates -----------------------------------------------------------------------

_VARIABLE = re.compile(r"\{\{(.*?)\}\}", re.S)
_SAFE_FILTER = re.compile(r"\|\s*(safe|safeseq)\b")
_STRING = r"""(?:"[^"]*"|'[^']*')"""
_CONSTANT_SAFE = re.compile(rf"^\s*(?:_\(\s*{_STRING}\s*\)|{_STRING})\s*\|\s*safe\s*$")
# Django's "off", and Jinja2's "false" (the queue's rows: tickets/queue_rows.py).
_AUTOESCAPE_OFF = re.compile(r"\{%-?\s*autoescape\s+(off|false)\s*-?%\}")
_FILTER_SAFE = re.compile(r"\{%-?\s*filter\s+[^%]*\bsafe(seq)?\b[^%]*%\}")


def check_template(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")

    def line(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    for match in _VARIABLE.finditer(text):
        inner = match.group(1)
        if _SAFE_FILTER.search(inner) and not _CONSTANT_SAFE.match(inner):
            where = f"{path}:{line(match.start())}"
            yield f"{where}: |safe on a value that is not a constant: {{{{{inner.strip()}}}}}"
    for match in _AUTOESCAPE_OFF.finditer(text):
        yield f"{path}:{line(match.start())}: {{% autoescape off %}}"
    for match in _FILTER_SAFE.finditer(text):
        yield f"{path}:{line(match.start())}: {{% filter … safe %}}"
    # A block tag can hide |safe too: {% with x=value|safe %}, {% firstof a|safe %}.
    for match in re.finditer(r"\{%(.*?)%\}", text, re.S):
        if _SAFE_FILTER.search(match.group(1)) and not _FILTER_SAFE.match(match.group(0)):
            yield f"{path}:{line(match.start())}: |safe in a template tag"
    # Django's {# #} is one line only: over several it is printed, markup and all.
    for match in re.finditer(r"\{#[^}]*\n", text):
        yield f"{path}:{line(match.start())}: a {{# #}} comment over several lines is printed"
    if not _is_email(path):
        for pattern, what in _CSP_RULES:
            for match in pattern.finditer(text):
                yield f"{path}:{line(match.start())}: {what} (refused by the CSP)"


# What the pages' Content-Security-Policy refuses, or makes htmx evaluate as code. E-mail
# templates are not pages (and mail clients need inline styles).
_TAG = r"<[a-zA-Z][^<>]*?"
_CSP_RULES = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(_TAG + r"\son[a-z]+\s*=", re.I), "an inline event handler (on…=)"),
    (re.compile(_TAG + r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"<style\b", re.I), "an inline <style>"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on (htmx evaluates it)"),
    (re.compile(r"""\shx-(?:vals|vars|headers)\s*=\s*['"]\s*(?:js|javascript):""", re.I),
     "a js: value (htmx evaluates it)"),
    (re.compile(r"""\shx-trigger\s*=\s*["'][^"']*\[""", re.I), "an hx-trigger filter [...]"),
    (re.compile(r"""\b(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I), "a javascript: URL"),
]  # fmt: skip


def _is_email(path: Path) -> bool:
    parts = path.parts
    return "templates" in parts and parts[parts.index("templates") + 1 :][:1] == ("messages",)


# --- the command ---------------------------------------------------------------------

TEMPLATE_SUFFIXES = {".html", ".txt", ".xml", ".js", ".svg"}


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for root in paths:
        candidates = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in candidates:
            if "migrations" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py" or path.suffix in TEMPLATE_SUFFIXES:
                yield path


def check(paths: Iterable[Path]) -> list[str]:
    problems: list[str] = []
    for path in _files(paths):
        if path.suffix == ".py":
            problems.extend(check_python(path))
        elif "templates" in path.parts:
            problems.extend(check_template(path))
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [ROOT / p for p in DEFAULT_PATHS]
    problems = check(paths)
    for problem in problems:
        print(problem)  # noqa: T201 - a lint tool's output
    if problems:
        print(  # noqa: T201
            f"{len(problems)} place(s) print a value unescaped or break the CSP "
            "(profiledesk/browser/markup_check.py says how to fix or allow one)."
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
