"""The design the code cites lives in the repository (docs/design.md), and every citation
names a section it has: a renumbered or deleted section fails here, not in a reader."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("profiledesk", "verification", "audit", "templates", "static/desk", "tests")
SUFFIXES = {".py", ".html", ".js"}
CITATION = re.compile(r"docs/design\.md §(\d+)((?:, §\d+)*)")
OLD_CITATION = re.compile(r"\bDESIGN \d")
# Data, not citations: the change reason stored on the default policies' history rows
# (changing it would change what new rows say) and migrations, which are history.
OLD_KEPT = ('DEFAULTS_REASON = "default policy (DESIGN 5)"',)


def _sources():
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in SUFFIXES and "migrations" not in path.parts:
                yield path


def _sections() -> set[str]:
    text = (ROOT / "docs" / "design.md").read_text()
    return set(re.findall(r"^## (\d+)\. ", text, flags=re.MULTILINE))


def test_the_design_has_its_ten_sections():
    assert _sections() == {str(n) for n in range(1, 11)}


def test_every_citation_names_a_section_of_the_design():
    sections, cited, wrong = _sections(), set(), []
    for path in _sources():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in CITATION.finditer(line):
                for section in re.findall(r"\d+", match.group(0).split("§", 1)[1]):
                    cited.add(section)
                    if section not in sections:
                        wrong.append(f"{path.relative_to(ROOT)}:{number} cites §{section}")
    assert not wrong, wrong
    assert len(cited) >= 8  # the scan found the citations (a broken glob finds none)


def test_no_code_cites_the_design_outside_the_repository():
    old = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _sources()
        if path.name != Path(__file__).name
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if OLD_CITATION.search(line) and not any(kept in line for kept in OLD_KEPT)
    ]
    assert not old, old
