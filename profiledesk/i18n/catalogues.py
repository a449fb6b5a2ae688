"""Compiles the translation catalogues: every `locale/<lang>/LC_MESSAGES/*.po` under the
project (the desk's apps' and any new app's, found by walking the tree, so a new
catalogue needs no edit here or in the Makefile) to the `.mo` Django reads, with Babel
(a pinned Python package: no system gettext needed). `.mo` files are build output
(.gitignore); `make run` and `make test` run `python -m profiledesk.i18n.catalogues`,
and the test session compiles stale ones too (tests/conftest.py).

Fuzzy entries are left out of the `.mo` (as msgfmt does): a guessed translation is not
shown to a customer, who sees the English instead — and tests/i18n fails on it.
"""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent.parent
# Directories never searched: installed packages (Django's own catalogues ship compiled)
# and build output.
SKIPPED = {".venv", ".venv-scan", "node_modules", ".git", "var", "staticfiles", "media"}


def locale_dirs(root: Path = ROOT) -> Iterator[Path]:
    """Every directory named `locale` under `root`, outside `SKIPPED`."""
    for path in sorted(root.iterdir()):
        if not path.is_dir() or path.name in SKIPPED or path.name.startswith("."):
            continue
        if path.name == "locale":
            yield path
        else:
            yield from locale_dirs(path)


def po_files(root: Path = ROOT) -> list[Path]:
    return [po for locale in locale_dirs(root) for po in sorted(locale.glob("*/LC_MESSAGES/*.po"))]


def compile_po(po: Path, *, force: bool = False) -> bool:
    """Writes `po`'s `.mo` beside it unless it is newer than `po`; True if written."""
    mo = po.with_suffix(".mo")
    if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return False
    with po.open("rb") as source:
        catalog = read_po(source, abort_invalid=True)
    tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")  # test workers may compile at once
    with tmp.open("wb") as target:
        write_mo(target, catalog, use_fuzzy=False)
    tmp.replace(mo)  # a test session and `make` at once never read half a file
    return True


def compile_all(root: Path = ROOT, *, force: bool = False) -> list[Path]:
    """Compiles every stale catalogue under `root`; the `.po` files compiled."""
    return [po for po in po_files(root) if compile_po(po, force=force)]


def main(argv: list[str]) -> int:
    compiled = compile_all(force="--force" in argv)
    for po in compiled:
        sys.stdout.write(f"compiled {po.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
