"""Configurable thresholds of the rules (DOMAIN §4–§8).

The values below are only the defaults a new project starts with, each from the seed named; a
project stores its own copy (table ``project_setting``) and a campaign its own income line, and
every rule takes them as arguments.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class Thresholds:
    """Per-project rule settings."""

    #: 监测收入基准线 (yuan per person per year), Hunan 2023, seed 002.
    income_line: float = 7500.0
    #: Early warning: lifted-out households below this income last year (seed 002).
    early_warning_income: float = 10000.0
    #: Households one level-3 grid worker may be responsible for (a common provincial rule).
    household_limit: int = 100
    #: A risk clue is verified at the household within this many working days (seeds 000, 004).
    clue_verify_working_days: int = 5
    #: From clue to identification, normally at most this many days (seed 000).
    identification_max_days: int = 15
    #: The village public notice lasts at least this many days (seed 000).
    publicity_min_days: int = 5
    #: An assistance plan follows identification within this many days (seed 000).
    plan_within_days: int = 10
    #: Contact visits per month for monitored households (seed 003).
    contacts_per_month: int = 1
    #: Contact visits per month for marginal households (seed 001).
    contacts_per_month_marginal: int = 2
    #: Income must stay above the line this many months before elimination (seeds 000, 002).
    elimination_stable_months: int = 6

    def as_dict(self) -> dict[str, float | int]:
        """The settings as a plain dict (for storage)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Thresholds:
        """Build from stored values, ignoring unknown keys and keeping defaults for missing ones."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})
