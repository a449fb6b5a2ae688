"""`check --deploy`: a catalogue without its compiled `.mo` (or with an older one) would
serve Spanish customers English without a word in any log; a build that forgot
`python -m profiledesk.i18n.catalogues` is named here instead."""

from pathlib import Path

from django.core.checks import CheckMessage, Warning, register

from .catalogues import ROOT, po_files


def stale_catalogues(root: Path = ROOT) -> list[Path]:
    stale = []
    for po in po_files(root):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


@register(deploy=True)
def catalogues_compiled(app_configs, **kwargs) -> list[CheckMessage]:
    return [
        Warning(
            f"{po.relative_to(ROOT)} is not compiled: customers would read English.",
            hint="Run `python -m profiledesk.i18n.catalogues` in the build (make does).",
            id="i18n.W001",
        )
        for po in stale_catalogues()
    ]
