"""Text normalisation shared by search and storage."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case, strip accents and collapse spaces: "  José  GARCÍA" -> "jose garcia"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def search_name(legal_name: str, preferred_name: str = "") -> str:
    return fold(f"{legal_name} {preferred_name}")
