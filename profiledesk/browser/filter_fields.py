"""A filter form's plain fields as ready values, for the Jinja2 fragments (issue 20).

Django's widgets render a template a `<select>` and a template a `<option>`; a filter form
of four fields cost ~1 ms a page that way. `filter_fields` gives each field's name, id,
label, classes, value and options as the widget would print them, for a template of the
shared environment (profiledesk/browser/jinja.py) to print with autoescape on. A field
that is not plain (another widget, extra attributes, an `<optgroup>`, errors) gives None:
the page then prints the form the Django way (aria-invalid, the error's id). Used by the
queue's filters (tickets/queue_rows.py) and the history page's."""

from dataclasses import dataclass

from django import forms


@dataclass(frozen=True, slots=True)
class FilterField:
    """A filter field as Django's widget would print it: a `<select>` (options given) or
    an `<input>`; the value is the bound one, as the widget formats it."""

    name: str
    id: str
    label: str
    css: str
    input_type: str
    value: str | None  # an <input> without a value attribute: None
    options: list[tuple[str, str]] | None


def filter_field(field: forms.BoundField) -> FilterField | None:
    widget = field.field.widget
    extra = set(widget.attrs) - {"class", "type"}
    if extra or field.errors or type(widget) not in (forms.Select, forms.DateInput):
        return None  # not a plain one: Django's widget prints it
    context = {"name": field.html_name, "id": field.id_for_label, "label": str(field.label)}
    css = widget.attrs.get("class", "")
    if isinstance(widget, forms.Select):
        assert isinstance(field.field, forms.ChoiceField)
        choices = field.field.choices
        if not isinstance(choices, list):
            return None  # a callable's choices: Django's widget prints them
        options = []
        for value, text in choices:
            if isinstance(text, list | tuple):
                return None  # an <optgroup>: Django's widget prints it
            options.append((str(value), str(text)))
        # Select.format_value: None is "" (the "any" option selected), a value its str.
        value = field.value()
        value = "" if value is None else str(value)
        return FilterField(**context, css=css, input_type="", value=value, options=options)
    # The widget's own format_value (a date in its format; None prints no value attribute).
    value = widget.format_value(field.value())
    return FilterField(
        **context,
        css=css,
        input_type=widget.input_type,
        value=None if value is None else str(value),
        options=None,
    )


def filter_fields(form: forms.Form) -> list[FilterField] | None:
    """The form's visible fields, or None when the form has errors or a field Django
    must print."""
    if form.is_bound and form.errors:
        return None
    fields = []
    for bound in form.visible_fields():
        field = filter_field(bound)
        if field is None:
            return None
        fields.append(field)
    return fields
