"""Reads of the investigation's records and campaigns that edits need inside their transaction."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, func, select

from gis_app.storage.models import Campaign, Household, InvestigationRecord, Worker


def household_answers(connection: Connection, campaign_id: int, household_id: int) -> pd.DataFrame:
    """``has_risk, risk_type, proposed_monitoring_type`` of a household's records in a campaign."""
    table = InvestigationRecord.__table__
    rows = connection.execute(select(
        table.c.has_risk, table.c.risk_type, table.c.proposed_monitoring_type).where(
        (table.c.campaign_id == int(campaign_id))
        & (table.c.household_id == int(household_id)))).all()
    return pd.DataFrame(rows, columns=["has_risk", "risk_type", "proposed_monitoring_type"])


def household_exists(connection: Connection, household_id: int) -> bool:
    """True when the project has the household."""
    return connection.execute(select(Household.id).where(
        Household.id == int(household_id))).one_or_none() is not None


def worker_exists(connection: Connection, worker_id: int) -> bool:
    """True when the project has the worker."""
    return connection.execute(select(func.count()).where(
        Worker.id == int(worker_id))).scalar_one() > 0


def campaign_exists(connection: Connection, year: int, round_: int) -> bool:
    """True when a campaign of that year and round exists."""
    table = Campaign.__table__
    return connection.execute(select(func.count()).where(
        (table.c.year == int(year)) & (table.c.round == int(round_)))).scalar_one() > 0
