"""Security-question answers: kept only as salted hashes of the normalised answer.

Normalisation makes "  Saint-Étienne " and "saint etienne" (and "St Mary's" and "st marys")
the same answer, so that a caller is not failed for case, spacing, accents or punctuation:
the agent types what they hear, and nobody hears an apostrophe. The hash is Django's
password hasher (salted, slow), so a leaked table does not give the answers away.
"""

from django.contrib.auth.hashers import check_password, make_password

from profiledesk.customers.normalise import fold


def normalise_answer(answer: str) -> str:
    """Only the letters and digits, folded: "St. Mary’s" -> "stmarys"."""
    return "".join(ch for ch in fold(answer) if ch.isalnum())


def hash_answer(answer: str) -> str:
    normalised = normalise_answer(answer)
    if not normalised:
        raise ValueError("An answer cannot be empty.")
    return make_password(normalised)


def answer_matches(answer: str, answer_hash: str) -> bool:
    normalised = normalise_answer(answer)
    return bool(normalised) and check_password(normalised, answer_hash)
