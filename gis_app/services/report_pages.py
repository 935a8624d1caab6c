"""Annexes 3 and 4 of seed 002: the household portraits and the rectification ledger.

- :func:`annex3` “画像”工作核实情况表: a sheet per household checked in the campaign that has a
  risk or a low income (:func:`gis_app.core.annex.portrayed`), filled from the household, its
  members and its deciding record;
- :func:`annex4` 发现问题整改台账: a sheet per village of the scope with the campaign's
  rectification items (an item without a village belongs to its household's village).

Phones are masked unless the user may see them and asks to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from gis_app.core import annex as rules
from gis_app.services.export_service import mask_personal_data
from gis_app.services.report_service import (
    TITLES,
    Report,
    campaign_scope,
    checked_households,
    county_name,
    note_report,
    refuse_unmask,
    resolve,
    write_forms,
)
from gis_app.storage.reader import load_table

_PORTRAIT_HOUSEHOLD = ["head_name", "phone", "grid_id", "income_per_person", "dibao", "tekun"]
_PORTRAIT_RECORD = ("education_problem", "insurance_problem", "housing_problem", "water_problem",
                    "checker")
_PERSON_COLUMNS = ["household_id", "name", "illness", "disability_kind", "disability_grade",
                   "schooling", "insured", "work_status", "work_place"]


def portraits(project, campaign_year: int | None = None, township: str | None = None,
              unmask: bool = False):
    """The scope and the :class:`~gis_app.reports.portrait.Portrait` of each household portrayed.

    Households come in township, village and id order.
    """
    from gis_app.reports.portrait import Portrait

    scope = campaign_scope(project, campaign_year, township)
    households, records, status, row = checked_households(
        project, scope, _PORTRAIT_HOUSEHOLD,
        tuple(dict.fromkeys(rules.RECORD_COLUMNS + _PORTRAIT_RECORD)))
    conditions = rules.household_conditions(households, records, status, row)
    has_risk = rules.deciding_values(records["has_risk"], row, False)
    chosen = np.flatnonzero(rules.portrayed(conditions, has_risk, households["income_per_person"],
                                            scope.campaign["early_warning_income"]))
    picked = records.iloc[row[chosen]].reset_index(drop=True)
    homes = households.iloc[chosen].reset_index(drop=True)
    homes = homes if unmask else mask_personal_data(homes)
    villages = scope.villages.set_index("code")
    grids = load_table(project.engine, "grid", ["id", "name"]).set_index("id")["name"]
    persons = load_table(project.engine, "person", _PERSON_COLUMNS)
    persons = persons[persons["household_id"].isin(set(homes["id"]))]
    persons = persons.astype(object).where(persons.notna(), None)
    members: dict[int, list[dict]] = {}
    for person in persons.to_dict("records"):
        members.setdefault(int(person["household_id"]), []).append(person)
    order = np.lexsort((homes["id"].to_numpy(), homes["village_code"].map(
        villages["township_code"]).to_numpy().astype(str), homes["village_code"].to_numpy()
        .astype(str)))
    result = []
    for i in order:
        home, record = homes.iloc[i], picked.iloc[i]
        village = villages.loc[home["village_code"]]
        grid = home["grid_id"]
        result.append(Portrait(
            township=village["township"], village=village["name"],
            grid="" if pd.isna(grid) else str(grids.get(int(grid), "")),
            head_name=home["head_name"], members=int(home["members"]),
            phone=home["phone"] if isinstance(home["phone"], str) else "",
            checked_on=record["checked_on"], checker=record["checker"] or "",
            attribute=int(home["attribute"]),
            income=None if pd.isna(home["income_per_person"]) else
            float(home["income_per_person"]),
            dibao=bool(home["dibao"]), tekun=bool(home["tekun"]),
            education_problem=bool(record["education_problem"]),
            insurance_problem=bool(record["insurance_problem"]),
            housing_problem=bool(record["housing_problem"]),
            water_problem=bool(record["water_problem"]),
            has_risk=bool(record["has_risk"]),
            risk_type=None if pd.isna(record["risk_type"]) else int(record["risk_type"]),
            proposed_monitoring_type=None if pd.isna(record["proposed_monitoring_type"])
            else int(record["proposed_monitoring_type"]),
            persons=members.get(int(home["id"]), []),
        ))
    return scope, result


def annex3(project_or_session, out, campaign_year: int | None = None,
           township: str | None = None, unmask: bool = False, user: str | None = None,
           progress: Callable[[int, int], None] | None = None) -> Report:
    """Write annex 3, “画像”工作核实情况表: one sheet per household portrayed (``.xlsx``).

    Parameters are those of :func:`~gis_app.services.report_service.annex2`, and
    ``progress(done, total)`` after each household's sheet.
    """
    from gis_app.reports.portrait import Thresholds, portrait_forms

    project, user = resolve(project_or_session, user)
    refuse_unmask(project, unmask, user)
    scope, pages = portraits(project, campaign_year, township, unmask)
    campaign = scope.campaign
    thresholds = Thresholds(float(campaign["income_line"]),
                            float(campaign["early_warning_income"]), int(campaign["year"]))
    title = f"{county_name(project)}{TITLES['annex3']}"
    path = write_forms(portrait_forms(pages, title, thresholds, progress), out)
    report = Report("annex3", Path(path), campaign, scope.townships[["code", "name"]],
                    rows=len(pages), sheets=max(len(pages), 1), unmasked=unmask)
    return note_report(project, user, report)


def rectification_ledgers(project, campaign_year: int | None = None,
                          township: str | None = None, unmask: bool = False):
    """The scope and each village's :class:`~gis_app.reports.rectification.VillageLedger`."""
    from gis_app.reports.rectification import VillageLedger

    scope = campaign_scope(project, campaign_year, township)
    items = load_table(project.engine, "rectification_item")
    items = items[items["campaign_id"] == int(scope.campaign["id"])]
    households = load_table(project.engine, "household", ["id", "village_id", "head_name"])
    households = households.set_index("id")
    home = items["household_id"].astype("Int64")
    village = items["village_id"].astype("Int64").fillna(home.map(households["village_id"]))
    items = items.assign(village=village, head_name=home.map(households["head_name"]))
    items = items if unmask else mask_personal_data(items)
    items = items.sort_values(["deadline", "id"], na_position="last", kind="stable")
    phone = items["responsible_phone"].fillna("")
    done = items["done_on"].map(lambda d: f"（{d:%Y-%m-%d}完成）" if isinstance(d, dt.date)
                                else "")
    items = items.assign(
        responsible=(items["responsible_name"].fillna("") + " " + phone).str.strip(),
        progress=items["status"] + done,
        note=items["head_name"].map(lambda name: f"户主：{name}" if isinstance(name, str)
                                    else None),
    )
    ledgers = [VillageLedger(v.township, v.name, items[items["village"] == v.id]
                             .reset_index(drop=True))
               for v in scope.villages.itertuples()]
    return scope, ledgers


def annex4(project_or_session, out, campaign_year: int | None = None,
           township: str | None = None, unmask: bool = False, user: str | None = None,
           date: dt.date | None = None,
           progress: Callable[[int, int], None] | None = None) -> Report:
    """Write annex 4, 发现问题整改台账: one sheet per village (``.xlsx``).

    Parameters are those of :func:`annex3`; ``date`` is the heading's date (default today).
    """
    from gis_app.reports.rectification import rectification_forms

    project, user = resolve(project_or_session, user)
    refuse_unmask(project, unmask, user)
    scope, ledgers = rectification_ledgers(project, campaign_year, township, unmask)
    forms = rectification_forms(ledgers, f"{county_name(project)}{TITLES['annex4']}",
                                date or dt.date.today())
    path = write_forms(forms, out, progress)
    report = Report("annex4", Path(path), scope.campaign, scope.townships[["code", "name"]],
                    rows=sum(len(ledger.items) for ledger in ledgers), sheets=len(ledgers),
                    unmasked=unmask)
    return note_report(project, user, report)
