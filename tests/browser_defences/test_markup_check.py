"""The `make lint` rule that nothing but constants is marked safe
(profiledesk/browser/markup_check.py): the desk's tree passes, and each way around
autoescaping planted in a file is found, named by file and line."""

import textwrap
from pathlib import Path

import pytest

from profiledesk.browser import markup_check
from profiledesk.browser.markup_check import ALLOWED, ESCAPING_HELPERS, ROOT, check


def test_the_desk_s_code_and_templates_pass():
    assert check([ROOT / p for p in markup_check.DEFAULT_PATHS]) == []


def planted(tmp_path: Path, name: str, source: str) -> list[str]:
    path = tmp_path / "templates" / name if name.endswith(".html") else tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return check([tmp_path])


@pytest.mark.parametrize(
    ("source", "line", "says"),
    [
        ("def label(user_value):\n    return mark_safe(user_value)\n", 2, "mark_safe()"),
        ("x = mark_safe(f'<b>{name}</b>')\n", 1, "mark_safe()"),
        ("x = SafeString(value)\n", 1, "SafeString()"),
        ("x = format_html(value)\n", 1, "format_html()"),
        ("x = format_html(f'<b>{v}</b>', 1)\n", 1, "format_html()"),
        ("x = format_html('<b>x</b>')\n", 1, "without arguments"),
        ("f = forms.CharField(help_text=customer.name)\n", 1, "help_text="),
        ("f = forms.CharField(help_text=_('Now: %s') % name)\n", 1, "help_text="),
        ("def setup(self):\n    self.fields['a'].help_text = f'Now: {self.row.name}'\n", 2,
         ".help_text ="),
        ("def setup(self):\n    self.fields['a'].help_text = ' '.join([a, b])\n", 2,
         ".help_text ="),
        ("x = HTML(customer.note)\n", 1, "HTML()"),
        ("x = Fieldset(name, 'a')\n", 1, "Fieldset()"),
        ("c = Context({}, autoescape=False)\n", 1, "autoescape="),
    ],
)  # fmt: skip
def test_a_planted_python_violation_is_named_by_file_and_line(tmp_path, source, line, says):
    found = planted(tmp_path, "views.py", source)
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path / 'views.py'}:{line}: "), found
    assert says in found[0]


@pytest.mark.parametrize(
    "source",
    [
        "x = mark_safe('<br>')\n",
        "x = format_html('<b>{}</b>', name)\n",
        "x = format_html(str(_('Now: {v}')), v=name)\n",
        "f = forms.CharField(help_text=_('Plain words.'))\n",
        "def s(self, f):\n    f.help_text = conditional_escape(f.help_text)\n",
        "def s(self, f):\n    f.help_text = format_html('Now: {}', row.name)\n",
        "x = Fieldset(_('E-mail'), 'email')\n",
    ],
)
def test_constants_and_escaped_values_pass(tmp_path, source):
    assert planted(tmp_path, "forms.py", source) == []


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("<p>{{ customer.name|safe }}</p>", "|safe on a value"),
        ("<p>{{ rows|safeseq|join:', ' }}</p>", "|safe on a value"),
        ("<p>{{ note | safe }}</p>", "|safe on a value"),
        ("{% autoescape off %}{{ note }}{% endautoescape %}", "autoescape off"),
        # A Jinja2 template (tickets/_queue_rows.html) says it this way.
        ("{% autoescape false %}{{ note }}{% endautoescape %}", "autoescape off"),
        ("{% filter force_escape|safe %}{{ note }}{% endfilter %}", "filter"),
        ("{% with x=note|safe %}{{ x }}{% endwith %}", "template tag"),
    ],
)
def test_a_planted_template_violation_is_named_by_file_and_line(tmp_path, source, says):
    found = planted(tmp_path, "page.html", "{% load i18n %}\n<div>\n" + source + "\n</div>\n")
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path / 'templates' / 'page.html'}:3: "), found
    assert says in found[0]


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("<script>start()</script>", "inline <script>"),
        ('<button onclick="go()">Go</button>', "event handler"),
        ('<div class="a" style="width: 3px">', "style= attribute"),
        ("<style>p { color: red }</style>", "inline <style>"),
        ('<div hx-on:click="go()">', "hx-on"),
        ("""<div hx-vals='js:{a: b()}'>""", "js: value"),
        ('<div hx-get="/q/" hx-trigger="every 20s [mayRefresh()]">', "hx-trigger filter"),
        ('<a href="javascript:go()">Go</a>', "javascript: URL"),
        ("{# a comment\n   over two lines #}", "comment over several lines"),
    ],
)
def test_markup_the_csp_refuses_is_named_by_file_and_line(tmp_path, source, says):
    found = planted(tmp_path, "page.html", "{% load i18n %}\n<div>\n" + source + "\n</div>\n")
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path / 'templates' / 'page.html'}:3: "), found
    assert says in found[0]


def test_e_mail_templates_may_style_inline_but_not_mark_safe(tmp_path):
    email = tmp_path / "templates" / "messages" / "otp" / "en" / "body.html"
    email.parent.mkdir(parents=True)
    email.write_text('<body style="font-family: Arial">{{ code }}</body>\n', encoding="utf-8")
    assert check([tmp_path]) == []
    email.write_text('<body style="font-family: Arial">{{ code|safe }}</body>\n', encoding="utf-8")
    assert len(check([tmp_path])) == 1


def test_external_scripts_and_htmx_without_code_pass(tmp_path):
    source = (
        '<script src="/static/desk/desk.js" defer></script>\n'
        """<div hx-get="/q/" hx-trigger="every 20s" hx-headers='{"X-A": "1"}'>\n"""
        "{# one line #}{% comment %}\n<script>several lines</script>\n{% endcomment %}\n"
    )
    found = planted(tmp_path, "page.html", source)
    # The comment block's content is not rendered; the rule reads the source, so it is
    # named: write such examples without markup, as templates/api/swagger_ui.html does.
    assert found == [
        f"{tmp_path / 'templates' / 'page.html'}:4: an inline <script> (refused by the CSP)"
    ]


def test_a_constant_marked_safe_in_a_template_passes(tmp_path):
    assert planted(tmp_path, "page.html", "{{ '<br>'|safe }} {{ _('&nbsp;')|safe }}") == []


def test_the_command_fails_and_names_the_line(tmp_path, capsys):
    planted(tmp_path, "admin.py", "x = mark_safe(obj.name)\n")
    assert markup_check.main([str(tmp_path)]) == 1
    assert f"{tmp_path / 'admin.py'}:1: mark_safe()" in capsys.readouterr().out
    assert markup_check.main([str(ROOT / "templates")]) == 0


def test_a_listed_escaping_helper_that_stops_escaping_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(markup_check, "ROOT", tmp_path)
    monkeypatch.setitem(ESCAPING_HELPERS, ("forms.py", "_now"), "for this test")
    found = planted(tmp_path, "forms.py", "def _now(row):\n    return 'Now: ' + row.name\n")
    assert found == [f"{tmp_path / 'forms.py'}:2: _now() is listed in ESCAPING_HELPERS "
                     "but returns a value that is neither a constant nor escaped"]  # fmt: skip


def test_every_allow_list_entry_names_a_function_that_exists_and_says_why():
    for (path, function, *_rule), reason in [*ALLOWED.items(), *ESCAPING_HELPERS.items()]:
        assert reason.strip(), path
        assert f"def {function}(" in (ROOT / path).read_text(encoding="utf-8"), (path, function)
