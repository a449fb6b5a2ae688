"""Risk scoring: explainable rules, each adding points with a reason (DESIGN 5)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    rule: str
    points: int
    reason: str


@dataclass
class Assessment:
    reasons: list[Reason] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(r.points for r in self.reasons)

    @property
    def level(self) -> str:
        score = self.score
        if score >= 80:
            return "critical"
        if score >= 50:
            return "high"
        if score >= 20:
            return "medium"
        return "low"


def risk_assess(ticket) -> Assessment:
    """Run every rule over the ticket (with its items and customer)."""
    assessment = Assessment()
    for rule in RULES:
        reason = rule(ticket)
        if reason is not None:
            assessment.reasons.append(reason)
    return assessment


def _customer_flagged_or_frozen(ticket) -> Reason | None:
    customer = ticket.customer
    if customer is None:
        return None
    if customer.frozen_at:
        return Reason("customer_frozen", 80, "The customer's profile is frozen.")
    if customer.is_flagged:
        return Reason("customer_flagged", 40, f"The customer is flagged: {customer.flag_reason}")
    return None


RULES = [_customer_flagged_or_frozen]
