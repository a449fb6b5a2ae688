"""Pools of names, streets and companies, drawn from Faker once per run.

Faker costs tens of microseconds a call; 100,000 customers with a dozen fields each
would spend most of the seeding time in it. A few hundred values per country, picked
from with a seeded `random.Random`, look just as real in the desk.
"""

from dataclasses import dataclass

from faker import Faker

from .countries import COUNTRIES

POOL_SIZE = 300


@dataclass(frozen=True)
class NamePool:
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    streets: tuple[str, ...]
    companies: tuple[str, ...]


def _unique(make, size: int) -> tuple[str, ...]:
    values = dict.fromkeys(make() for _ in range(size))
    return tuple(values)


def build_pools(seed: int) -> dict[str, NamePool]:
    pools = {}
    for code, country in COUNTRIES.items():
        fake = Faker(country.faker_locale)
        fake.seed_instance(seed)
        pools[code] = NamePool(
            female=_unique(fake.first_name_female, POOL_SIZE),
            male=_unique(fake.first_name_male, POOL_SIZE),
            last=_unique(fake.last_name, POOL_SIZE),
            streets=_unique(fake.street_name, POOL_SIZE),
            companies=_unique(fake.company, POOL_SIZE // 2),
        )
    return pools


# B2B contacts of an energy or telecom supplier: who calls about the company's account.
JOB_TITLES = (
    "Office Manager",
    "Finance Director",
    "Accounts Payable Lead",
    "Facilities Manager",
    "Procurement Manager",
    "Operations Director",
    "IT Manager",
    "Managing Director",
    "Bookkeeper",
    "Energy Manager",
)
DEPARTMENTS = ("Finance", "Facilities", "Procurement", "Operations", "IT", "Administration")

# (question, demo answer). One answer a question, so that a newcomer playing the caller
# knows what to say; the logins file lists them.
SECURITY_QUESTIONS = (
    ("What was the name of your first pet?", "Biscuit"),
    ("In which town was your first school?", "Bath"),
    ("What is your mother's maiden name?", "Fairweather"),
    ("What was the make of your first car?", "Seat"),
    ("What is the name of the street you grew up on?", "Orchard Lane"),
    ("What was your childhood nickname?", "Pip"),
)
