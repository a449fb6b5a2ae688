"""Cells a spreadsheet shows as text (CSV injection, OWASP): one rule for every CSV the
desk writes (evidence exports, dashboard downloads)."""

# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> object:
    """A formula-like string gets a leading apostrophe; anything else is left as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value
