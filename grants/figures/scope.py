"""What a page of figures counts: a place (the district, one street or one community) and a period
(all time, one edition, or one calendar year in Beijing time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from grants import timeutil
from grants.editions.models import Edition
from grants.org.models import Community, District, Street


@dataclass(frozen=True)
class Scope:
    district: District
    street: Street | None = None
    community: Community | None = None
    edition: Edition | None = None  # only this edition (of the same district)
    year: int | None = None  # only this calendar year (Beijing); never with an edition

    def __post_init__(self) -> None:
        if self.edition is not None and self.year is not None:
            raise ValueError("a scope is one edition or one year, not both")

    @property
    def place_kind(self) -> str:
        if self.community is not None:
            return "community"
        return "street" if self.street is not None else "district"

    @property
    def place(self) -> District | Street | Community:
        return self.community or self.street or self.district

    @property
    def place_name(self) -> str:
        return self.place.name

    @property
    def moments(self) -> tuple[datetime, datetime] | None:
        """The year as a half-open UTC range, for stored times."""
        return None if self.year is None else timeutil.local_year_bounds(self.year)

    @property
    def days(self) -> tuple[date, date] | None:
        """The year as a half-open range of dates, for stored dates (an expense's day)."""
        return None if self.year is None else timeutil.year_days(self.year)
