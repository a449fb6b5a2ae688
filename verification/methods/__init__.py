"""Verification methods are plug-ins (issue 18).

Each method is one class in its own module, registered here with `@register`: what a
pass proves, the factors and assurance it contributes, how the wizard starts it and how
its evidence reads. The wizard, the status computation, the approval card, the history
page and exports ask the registry; adding a method is its module plus one import in
`verification/apps.py` (nothing else).

A pass is an `Attempt` row (`Attempt.method` = the method's `code`, `result` passed): the
one record of evidence, whoever produced it (an agent, the portal, a provider's webhook,
a client app's signed assertion).

The level (docs/design.md §4) is computed from the passes still valid on a ticket:
- each pass contributes factors (`Factor`); knowledge or possession alone is AL1, both
  AL2, and AL2 with an identity document AL3;
- a method may also reach a level on its own (`Grant.level`): an identity provider's
  document + liveness decision is AL3; a client app's assertion the level the client's
  policy maps its authentication methods to (recorded on the pass, `Attempt.detail`).
The level reached is the higher of the two.

Beside that contract a method may narrow which of its passes count now (`counting`: a
code to a contact withheld since does not), and `helpful` tells the wizard which methods
still lead to a target level.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import combinations
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from verification.models import Attempt


class Factor(StrEnum):
    KNOWLEDGE = "knowledge"  # security questions
    POSSESSION = "possession"  # a code to a contact on file
    DOCUMENT = "document"  # an identity document seen


@dataclass(frozen=True)
class Grant:
    """What one valid pass contributes toward the ticket's level."""

    factors: frozenset[Factor] = field(default_factory=frozenset)
    level: int = 0  # a level this pass reaches on its own; 0: factors only


class VerificationMethod:
    """One way to verify a customer. Subclass, set the class attributes, `@register`."""

    code: ClassVar[str]  # stored in Attempt.method (at most 10 characters)
    label: ClassVar[Any]  # a lazily translated name ("Security questions")
    proves: ClassVar[Any]  # one sentence: what a pass proves, for the approval card
    factors: ClassVar[frozenset[Factor]] = frozenset()
    level: ClassVar[int] = 0  # a level a pass reaches on its own
    order: ClassVar[int] = 100  # where it sits in the wizard and in lists
    # The wizard's panel section for this method (a template), or None when an agent does
    # not start it (an assertion arrives with the request). Rendered while the method is
    # still needed, with `ticket`, `m` (this method), `c` (what `panel_context` returned;
    # `c.form` is replaced by the bound form when the wizard answers a refused post) and
    # `v` (the whole wizard's context).
    panel_template: ClassVar[str | None] = None

    def grant(self, attempt: "Attempt") -> Grant:
        """What this passed attempt contributes. Override when it depends on the pass."""
        return Grant(factors=self.factors, level=self.level)

    def expected_grant(self) -> Grant:
        """What a pass not made yet would contribute: what the wizard weighs when it
        decides whether to offer this method."""
        return Grant(factors=self.factors, level=self.level)

    def counting(
        self, attempts: list["Attempt"], *, ticket: Any, now: Any, unmasking: bool
    ) -> list["Attempt"]:
        """Of this method's passes on the ticket still within the validity window, those
        that count now (all of them unless the method says otherwise: a code to a contact
        withheld since counts for nothing). `unmasking`: the stricter rules for showing
        the profile unmasked (verification.status.withheld_contacts)."""
        return attempts

    def evidence(self, attempt: "Attempt") -> str:
        """One line naming the evidence (ids and masked values only, never a secret), for
        the ticket's history, the approval card and exports."""
        return str(self.label)

    def panel_context(self, *, ticket: Any, user: Any, progress: Any) -> dict[str, Any]:
        """What `panel_template` needs, beside the ticket and the wizard's progress."""
        return {}


_REGISTRY: dict[str, VerificationMethod] = {}
M = TypeVar("M", bound=type[VerificationMethod])


def register(cls: M) -> M:
    code = cls.code
    if len(code) > 10:
        raise ValueError(f"verification method code too long: {code!r}")
    existing = _REGISTRY.get(code)
    if existing is not None and type(existing) is not cls:
        raise ValueError(f"verification method {code!r} registered twice")
    _REGISTRY[code] = cls()
    return cls


def unregister(code: str) -> None:
    """For tests that register a method of their own."""
    _REGISTRY.pop(code, None)


def method(code: str) -> VerificationMethod | None:
    return _REGISTRY.get(code)


def methods() -> list[VerificationMethod]:
    """Every registered method, in the wizard's order."""
    return sorted(_REGISTRY.values(), key=lambda m: (m.order, m.code))


def label(code: str) -> str:
    """The method's name wherever a pass is shown; the stored code for a method no longer
    registered (its passes stay readable evidence)."""
    found = _REGISTRY.get(code)
    return str(found.label) if found is not None else code


def level_of(grants: Iterable[Grant]) -> int:
    """The assurance level reached by these grants (see the module's docstring)."""
    factors: set[Factor] = set()
    direct = 0
    for grant in grants:
        factors |= grant.factors
        direct = max(direct, grant.level)
    by_factors = 0
    if factors & {Factor.KNOWLEDGE, Factor.POSSESSION}:
        by_factors = 1
    if {Factor.KNOWLEDGE, Factor.POSSESSION} <= factors:
        by_factors = 2
        if Factor.DOCUMENT in factors:
            by_factors = 3
    return max(by_factors, direct)


def helpful(
    candidates: Iterable[VerificationMethod], *, have: Iterable[Grant], target: int
) -> list[VerificationMethod]:
    """The candidates that lead toward `target` from the grants the ticket `have`s: each
    one that belongs to a smallest set of candidates whose passes would reach the target
    (or the highest level the candidates can reach, when that is lower). Alternatives
    are all offered (a code or the questions for AL1); a method that adds nothing the
    others do not already bring is not (a document for AL2). In the candidates' order."""
    pool = list(candidates)
    held = list(have)
    now = level_of(held)
    goal = min(target, level_of([*held, *(m.expected_grant() for m in pool)]))
    if now >= goal:
        return []

    def reaches(chosen: tuple[VerificationMethod, ...]) -> bool:
        return level_of([*held, *(m.expected_grant() for m in chosen)]) >= goal

    useful: set[int] = set()
    for size in range(1, len(pool) + 1):
        for chosen in combinations(range(len(pool)), size):
            subset = tuple(pool[i] for i in chosen)
            # Smallest: no one of them could be left out (levels only grow with grants,
            # so leaving out one at a time is enough to check).
            if reaches(subset) and not any(
                reaches(subset[:i] + subset[i + 1 :]) for i in range(size)
            ):
                useful.update(chosen)
    return [m for i, m in enumerate(pool) if i in useful]
