"""Message templates per client and language (docs/design.md §6).

A template is three files: `subject.txt`, `body.txt` and `body.html`, looked up first
in the client's folder, then the desk's, in the message's language (then its base
language: "es-MX" falls back to "es"), then in English:

    templates/messages/clients/<client slug>/<template>/<lang>/<part>
    templates/messages/<template>/<lang>/<part>
    templates/messages/clients/<client slug>/<template>/en/<part>
    templates/messages/<template>/en/<part>

Text parts are rendered without HTML escaping; the HTML part is escaped as usual.
"""

from dataclasses import dataclass

from django.template import Context
from django.template.loader import select_template
from django.utils import translation

FALLBACK_LANGUAGE = "en"
MASK = "••••••"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str

    def as_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "text": self.text, "html": self.html}


def candidates(*, client_slug: str, template: str, language: str, part: str) -> list[str]:
    # "es-MX": es-mx, then es, then English.
    tag = language.lower().replace("_", "-")
    languages = list(dict.fromkeys([tag, tag.split("-")[0], FALLBACK_LANGUAGE]))
    names = []
    for lang in languages:
        names.append(f"messages/clients/{client_slug}/{template}/{lang}/{part}")
        names.append(f"messages/{template}/{lang}/{part}")
    return names


def _render(name_list: list[str], context: dict, *, autoescape: bool) -> str:
    template = select_template(name_list).template  # the Django Template behind it
    return template.render(Context(context, autoescape=autoescape))


def message_render(*, client_slug: str, template: str, language: str, context: dict) -> Rendered:
    """Subject (one line), text and HTML of `template` for this client and language."""

    def names(part: str) -> list[str]:
        return candidates(client_slug=client_slug, template=template, language=language, part=part)

    with translation.override(language):
        subject = _render(names("subject.txt"), context, autoescape=False)
        text = _render(names("body.txt"), context, autoescape=False)
        html = _render(names("body.html"), context, autoescape=True)
    return Rendered(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)


def redacted_context(context: dict, secret_keys: tuple[str, ...]) -> dict:
    return {**context, **dict.fromkeys(secret_keys, MASK)}
