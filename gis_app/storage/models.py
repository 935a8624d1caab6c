"""The data model of DOMAIN.md as SQLAlchemy 2 typed ORM classes.

Every editable table carries ``version`` (optimistic concurrency: SQLAlchemy refuses an update
whose version moved underneath it). Geometries are CGCS2000 lon/lat (EPSG:4490). Households keep
their point as ``lon``/``lat`` columns, since most of them come from ledgers without geometry and
many have no location at all; on PostGIS the migration adds a generated ``geom`` column for QGIS.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from gis_app.storage.geometry import Geometry


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Versioned:
    """Mixin: an optimistic-lock version number on every editable row."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


# --- settings and audit -----------------------------------------------------------------------


class ProjectSetting(Base):
    """A project-level setting (thresholds, county code, GK zone); value is JSON text."""

    __tablename__ = "project_setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class Edit(Base):
    """One unit of work: who, when, what (the label the user saw), and which edit it undid."""

    __tablename__ = "edit"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    user_name: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str] = mapped_column(Text, nullable=False)
    undoes: Mapped[int | None] = mapped_column(Integer)


class AuditLog(Base):
    """Who changed what, when: one row per changed row (or per bulk insert), of one edit.

    ``details`` is JSON: ``{"old": …, "new": …}`` with ID numbers and phones masked (and a
    keyed digest, to show that they changed), or a summary for bulk inserts and notes.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_row", "table_name", "row_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edit_id: Mapped[int | None] = mapped_column(ForeignKey("edit.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    user_name: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    table_name: Mapped[str] = mapped_column(String(64), nullable=False)
    row_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str | None] = mapped_column(Text)


# --- geography and grids ----------------------------------------------------------------------


class AdminUnit(Versioned, Base):
    """County (1), township (2) or village/community (3), with its statistical code."""

    __tablename__ = "admin_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    geom: Mapped[bytes | None] = mapped_column(Geometry("MULTIPOLYGON"))


class Grid(Versioned, Base):
    """A grid: level 0 (overall, per township), 1 (township), 2 (village), 3 (part of a village)."""

    __tablename__ = "grid"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    admin_unit_id: Mapped[int] = mapped_column(
        ForeignKey("admin_unit.id"), nullable=False, index=True
    )
    geom: Mapped[bytes | None] = mapped_column(Geometry("MULTIPOLYGON"))


# --- households and people --------------------------------------------------------------------


class ResettlementSite(Versioned, Base):
    """易地搬迁安置点: where relocated households now live."""

    __tablename__ = "resettlement_site"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="集中安置点")
    capacity: Mapped[int | None] = mapped_column(Integer)
    built_year: Mapped[int | None] = mapped_column(Integer)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"))
    geom: Mapped[bytes | None] = mapped_column(Geometry("POINT"))


class Household(Versioned, Base):
    """A rural household (户) with the fields of the annex-2 ledger (DOMAIN §3)."""

    __tablename__ = "household"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_code: Mapped[str | None] = mapped_column(String(32))
    head_name: Mapped[str] = mapped_column(String(64), nullable=False)
    head_id_number: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    members: Mapped[int] = mapped_column(Integer, nullable=False)
    attribute: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    monitoring_type: Mapped[int | None] = mapped_column(Integer)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    #: True when a user placed the household in its grid by hand (boundary cases, DOMAIN §2).
    grid_override: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(16), nullable=False)
    income_per_person: Mapped[float | None] = mapped_column(Float)
    no_labour_support: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    relocated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    resettlement_site_id: Mapped[int | None] = mapped_column(ForeignKey("resettlement_site.id"))
    dibao: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    tekun: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    severe_illness: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    disability: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    housing_problem: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    education_problem: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    insurance_problem: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    water_problem: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    risk_eliminated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    risk_eliminated_on: Mapped[dt.date | None] = mapped_column(Date)


class Person(Versioned, Base):
    """A household member, kept where illness, disability, schooling or work matter."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    id_number: Mapped[str | None] = mapped_column(String(18))
    relation: Mapped[str] = mapped_column(String(16), nullable=False)
    sex: Mapped[str | None] = mapped_column(String(2))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    illness: Mapped[str | None] = mapped_column(String(64))
    disability_kind: Mapped[str | None] = mapped_column(String(16))
    disability_grade: Mapped[int | None] = mapped_column(Integer)
    schooling: Mapped[str | None] = mapped_column(String(16))
    insured: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    labour: Mapped[str | None] = mapped_column(String(16))
    work_status: Mapped[str | None] = mapped_column(String(16))
    work_place: Mapped[str | None] = mapped_column(String(64))


class Relocation(Versioned, Base):
    """A household received by a resettlement site, and the village it came from."""

    __tablename__ = "relocation"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), nullable=False, index=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("resettlement_site.id"), nullable=False, index=True
    )
    from_village_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"))
    moved_on: Mapped[dt.date | None] = mapped_column(Date)


# --- workers ----------------------------------------------------------------------------------


class Worker(Versioned, Base):
    """A grid worker or helper (DOMAIN §2); retired workers stay, with their history."""

    __tablename__ = "worker"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    retired_on: Mapped[dt.date | None] = mapped_column(Date)


class GridAssignment(Versioned, Base):
    """A worker's responsibility for a grid in a role, from a date to a date (open when None)."""

    __tablename__ = "grid_assignment"
    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id"), nullable=False, index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    assigned_by: Mapped[str | None] = mapped_column(String(64))


class HelperPair(Versioned, Base):
    """结对帮扶: a helper paired with a monitored household."""

    __tablename__ = "helper_pair"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), nullable=False, index=True
    )
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id"), nullable=False, index=True)
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end_date: Mapped[dt.date | None] = mapped_column(Date)


# --- hazards ----------------------------------------------------------------------------------


class HazardZone(Versioned, Base):
    """A hazard zone polygon: kind (洪涝, 滑坡 …), level (1 极高 … 4 低), source and year."""

    __tablename__ = "hazard_zone"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str | None] = mapped_column(String(64))
    year: Mapped[int | None] = mapped_column(Integer)
    geom: Mapped[bytes | None] = mapped_column(Geometry("MULTIPOLYGON"))


class HazardPoint(Versioned, Base):
    """A geological hazard point (隐患点) with the households and persons it threatens."""

    __tablename__ = "hazard_point"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False)
    threatened_households: Mapped[int | None] = mapped_column(Integer)
    threatened_persons: Mapped[int | None] = mapped_column(Integer)
    #: 威胁半径 in metres: households within it are threatened (None: not surveyed).
    threat_radius: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[bytes | None] = mapped_column(Geometry("POINT"))


class HazardEvent(Versioned, Base):
    """A disaster that happened (灾情): the area a flood or landslide reached, its date and kind.

    ``digest`` identifies the event by its normalised footprint, date and kind, so importing
    the same footprint again is recognised (the households inside already have their clues).
    """

    __tablename__ = "hazard_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    occurred_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    source: Mapped[str | None] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    geom: Mapped[bytes | None] = mapped_column(Geometry("MULTIPOLYGON"))


# --- the centralized investigation ------------------------------------------------------------


class Campaign(Versioned, Base):
    """A centralized investigation (集中排查): year, round, income line, dates."""

    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("year", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    income_line: Mapped[float] = mapped_column(Float, nullable=False)
    early_warning_income: Mapped[float] = mapped_column(Float, nullable=False)
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end_date: Mapped[dt.date] = mapped_column(Date, nullable=False)


class CampaignMilestone(Base):
    """A timetable milestone of a campaign (plan, training, investigation, data entry, report)."""

    __tablename__ = "campaign_milestone"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    #: Share of households that must be covered by the due date (None: not a coverage milestone).
    target_coverage: Mapped[float | None] = mapped_column(Float)


class CampaignTownship(Base):
    """The townships a campaign covers (all their rural households)."""

    __tablename__ = "campaign_township"
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    township_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), primary_key=True)


class InvestigationRecord(Versioned, Base):
    """One check of one household in a campaign, with the annex-2 result fields."""

    __tablename__ = "investigation_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), nullable=False, index=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), nullable=False, index=True
    )
    method: Mapped[int] = mapped_column(Integer, nullable=False)
    checked_on: Mapped[dt.date | None] = mapped_column(Date)
    checker: Mapped[str | None] = mapped_column(String(64))
    checker_worker_id: Mapped[int | None] = mapped_column(ForeignKey("worker.id"))
    whole_household_away: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    housing_problem: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    education_problem: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    insurance_problem: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    water_problem: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    other_problems: Mapped[str | None] = mapped_column(Text)
    has_risk: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    risk_type: Mapped[int | None] = mapped_column(Integer)
    proposed_monitoring_type: Mapped[int | None] = mapped_column(Integer)
    proposed_rollback: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    proposed_removal: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class RiskClue(Versioned, Base):
    """A risk clue (风险线索): channel, when found, when verified at the household.

    A clue of a disaster (channel 灾害) names its ``event``; one household has at most one
    clue per event.
    """

    __tablename__ = "risk_clue"
    # A unique index, not a constraint: an existing project gains it without rebuilding the
    # table (SQLite), which cases refer to.
    __table_args__ = (Index("uq_risk_clue_event_household", "event_id", "household_id",
                            unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), nullable=False, index=True
    )
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    department: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    found_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("hazard_event.id"), index=True)


class MonitoringCase(Versioned, Base):
    """A five-step case (identification or elimination) with the date of each step."""

    __tablename__ = "monitoring_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: Indexed: deleting clues (undoing an event's thousands) checks the cases referring to them.
    clue_id: Mapped[int | None] = mapped_column(ForeignKey("risk_clue.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    monitoring_type: Mapped[int | None] = mapped_column(Integer)
    risk_type: Mapped[int | None] = mapped_column(Integer)
    started_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    applied_on: Mapped[dt.date | None] = mapped_column(Date)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    publicity_start: Mapped[dt.date | None] = mapped_column(Date)
    publicity_end: Mapped[dt.date | None] = mapped_column(Date)
    township_reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    county_approved_on: Mapped[dt.date | None] = mapped_column(Date)
    plan_made_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), nullable=False)


class AssistanceMeasure(Versioned, Base):
    """A help measure (帮扶措施) for a monitored household."""

    __tablename__ = "assistance_measure"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), nullable=False, index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_case.id"))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    amount: Mapped[float | None] = mapped_column(Float)


class ContactVisit(Versioned, Base):
    """A helper's contact visit (走访) to a monitored household."""

    __tablename__ = "contact_visit"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), nullable=False, index=True
    )
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("worker.id"))
    visited_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    method: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    notes: Mapped[str | None] = mapped_column(Text)


class RectificationItem(Versioned, Base):
    """A row of the annex-4 rectification ledger (整改台账)."""

    __tablename__ = "rectification_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="SET NULL")
    )
    problem: Mapped[str] = mapped_column(Text, nullable=False)
    responsible_name: Mapped[str | None] = mapped_column(String(64))
    responsible_phone: Mapped[str | None] = mapped_column(String(20))
    measure: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="整改中")
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)


#: Tables holding geometry, with their geometry type (for PostGIS indexes and exports).
GEOMETRY_TABLES: dict[str, str] = {
    "admin_unit": "MULTIPOLYGON",
    "grid": "MULTIPOLYGON",
    "resettlement_site": "POINT",
    "hazard_zone": "MULTIPOLYGON",
    "hazard_point": "POINT",
    "hazard_event": "MULTIPOLYGON",
}
