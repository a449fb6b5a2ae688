"""axe-core (npm, `node_modules/axe-core`) run in the page the tests have open.

The script is handed to the page through the DevTools protocol (`page.evaluate`), so the
desk's Content-Security-Policy stays as strict as the floor gets it and no CDN is
asked for anything.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page

# WCAG 2.2 AA, and every earlier level it includes (issue 14).
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@cache
def axe_source() -> str:
    path = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        pytest.fail(f"axe-core is missing at {path}: run `npm ci` (make deps)")
    return path.read_text()


@dataclass(frozen=True)
class Violation:
    url: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:4]) + (" …" if len(self.targets) > 4 else "")
        return f"{self.url}: [{self.impact}] {self.rule} ({self.help}): {shown}"


def axe_violations(page: Page, *, tags: list[str] = WCAG_22_AA) -> list[Violation]:
    """Every WCAG violation axe finds in the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                               resultTypes: ["violations"]});
            return r.violations.map(v => ({rule: v.id, impact: v.impact || "", help: v.help,
                targets: v.nodes.map(n => n.target.join(" "))}));
        }""",
        tags,
    )
    return [
        Violation(
            url=page.url,
            rule=v["rule"],
            impact=v["impact"],
            help=v["help"],
            targets=tuple(v["targets"]),
        )
        for v in result
    ]
