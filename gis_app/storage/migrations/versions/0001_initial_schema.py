"""Initial schema: every table of DOMAIN.md; on PostgreSQL also PostGIS, spatial indexes and
a generated household point column for QGIS.

Revision ID: 0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op

from gis_app.storage.geometry import Geometry

#: The tables of this revision holding geometry (GiST-indexed on PostGIS): fixed here, since
#: later revisions add geometry tables of their own (``models.GEOMETRY_TABLES`` lists them all).
GEOMETRY_TABLES = ("admin_unit", "grid", "resettlement_site", "hazard_zone", "hazard_point")

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table('admin_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry("MULTIPOLYGON"), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['admin_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('admin_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_unit_parent_id'), ['parent_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('income_line', sa.Float(), nullable=False),
    sa.Column('early_warning_income', sa.Float(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year', 'round')
    )
    op.create_table('hazard_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('threatened_households', sa.Integer(), nullable=True),
    sa.Column('threatened_persons', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry("POINT"), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('hazard_zone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry("MULTIPOLYGON"), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('project_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('worker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('unit', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('retired_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('campaign_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('target_coverage', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaign_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_milestone_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('campaign_township',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['admin_unit.id'], ),
    sa.PrimaryKeyConstraint('campaign_id', 'township_id')
    )
    op.create_table('grid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_id', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry("MULTIPOLYGON"), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['admin_unit_id'], ['admin_unit.id'], ),
    sa.ForeignKeyConstraint(['parent_id'], ['grid.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('grid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_admin_unit_id'), ['admin_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_parent_id'), ['parent_id'], unique=False)

    op.create_table('resettlement_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('built_year', sa.Integer(), nullable=True),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry("POINT"), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['admin_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('grid_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('assigned_by', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('grid_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_assignment_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_assignment_worker_id'), ['worker_id'], unique=False)

    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_code', sa.String(length=32), nullable=True),
    sa.Column('head_name', sa.String(length=64), nullable=False),
    sa.Column('head_id_number', sa.String(length=18), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('attribute', sa.Integer(), nullable=False),
    sa.Column('monitoring_type', sa.Integer(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('grid_override', sa.Boolean(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('location_source', sa.String(length=16), nullable=False),
    sa.Column('income_per_person', sa.Float(), nullable=True),
    sa.Column('no_labour_support', sa.Boolean(), nullable=False),
    sa.Column('relocated', sa.Boolean(), nullable=False),
    sa.Column('resettlement_site_id', sa.Integer(), nullable=True),
    sa.Column('dibao', sa.Boolean(), nullable=False),
    sa.Column('tekun', sa.Boolean(), nullable=False),
    sa.Column('severe_illness', sa.Boolean(), nullable=False),
    sa.Column('disability', sa.Boolean(), nullable=False),
    sa.Column('housing_problem', sa.Boolean(), nullable=False),
    sa.Column('education_problem', sa.Boolean(), nullable=False),
    sa.Column('insurance_problem', sa.Boolean(), nullable=False),
    sa.Column('water_problem', sa.Boolean(), nullable=False),
    sa.Column('risk_eliminated', sa.Boolean(), nullable=False),
    sa.Column('risk_eliminated_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.ForeignKeyConstraint(['resettlement_site_id'], ['resettlement_site.id'], ),
    sa.ForeignKeyConstraint(['village_id'], ['admin_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('head_id_number')
    )
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_attribute'), ['attribute'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_village_id'), ['village_id'], unique=False)

    op.create_table('contact_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('method', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_visit_household_id'), ['household_id'], unique=False)

    op.create_table('helper_pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('helper_pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_helper_pair_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_helper_pair_worker_id'), ['worker_id'], unique=False)

    op.create_table('investigation_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Integer(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=True),
    sa.Column('checker', sa.String(length=64), nullable=True),
    sa.Column('checker_worker_id', sa.Integer(), nullable=True),
    sa.Column('whole_household_away', sa.Boolean(), nullable=False),
    sa.Column('housing_problem', sa.Boolean(), nullable=False),
    sa.Column('education_problem', sa.Boolean(), nullable=False),
    sa.Column('insurance_problem', sa.Boolean(), nullable=False),
    sa.Column('water_problem', sa.Boolean(), nullable=False),
    sa.Column('other_problems', sa.Text(), nullable=True),
    sa.Column('has_risk', sa.Boolean(), nullable=False),
    sa.Column('risk_type', sa.Integer(), nullable=True),
    sa.Column('proposed_monitoring_type', sa.Integer(), nullable=True),
    sa.Column('proposed_rollback', sa.Boolean(), nullable=False),
    sa.Column('proposed_removal', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['checker_worker_id'], ['worker.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('investigation_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_investigation_record_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigation_record_household_id'), ['household_id'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('sex', sa.String(length=2), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('illness', sa.String(length=64), nullable=True),
    sa.Column('disability_kind', sa.String(length=16), nullable=True),
    sa.Column('disability_grade', sa.Integer(), nullable=True),
    sa.Column('schooling', sa.String(length=16), nullable=True),
    sa.Column('insured', sa.Boolean(), nullable=False),
    sa.Column('labour', sa.String(length=16), nullable=True),
    sa.Column('work_status', sa.String(length=16), nullable=True),
    sa.Column('work_place', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_household_id'), ['household_id'], unique=False)

    op.create_table('rectification_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('responsible_name', sa.String(length=64), nullable=True),
    sa.Column('responsible_phone', sa.String(length=20), nullable=True),
    sa.Column('measure', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['village_id'], ['admin_unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('relocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('from_village_id', sa.Integer(), nullable=True),
    sa.Column('moved_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['from_village_id'], ['admin_unit.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['resettlement_site.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('relocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relocation_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_relocation_site_id'), ['site_id'], unique=False)

    op.create_table('risk_clue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('verified_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('risk_clue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_clue_household_id'), ['household_id'], unique=False)

    op.create_table('monitoring_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('clue_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('monitoring_type', sa.Integer(), nullable=True),
    sa.Column('risk_type', sa.Integer(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=True),
    sa.Column('verified_on', sa.Date(), nullable=True),
    sa.Column('publicity_start', sa.Date(), nullable=True),
    sa.Column('publicity_end', sa.Date(), nullable=True),
    sa.Column('township_reviewed_on', sa.Date(), nullable=True),
    sa.Column('county_approved_on', sa.Date(), nullable=True),
    sa.Column('plan_made_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clue_id'], ['risk_clue.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('monitoring_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_case_household_id'), ['household_id'], unique=False)

    op.create_table('assistance_measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['monitoring_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assistance_measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_measure_household_id'), ['household_id'], unique=False)

    if postgres:
        for table in GEOMETRY_TABLES:
            op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING GIST (geom)")
        # Households keep lon/lat columns; QGIS reads this generated point column.
        op.execute(
            "ALTER TABLE household ADD COLUMN geom geometry(POINT, 4490) GENERATED ALWAYS AS "
            "(CASE WHEN lon IS NULL OR lat IS NULL THEN NULL "
            "ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4490) END) STORED"
        )
        op.execute("CREATE INDEX ix_household_geom ON household USING GIST (geom)")


def downgrade() -> None:
    with op.batch_alter_table('assistance_measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_measure_household_id'))

    op.drop_table('assistance_measure')
    with op.batch_alter_table('monitoring_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_case_household_id'))

    op.drop_table('monitoring_case')
    with op.batch_alter_table('risk_clue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_clue_household_id'))

    op.drop_table('risk_clue')
    with op.batch_alter_table('relocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_relocation_site_id'))
        batch_op.drop_index(batch_op.f('ix_relocation_household_id'))

    op.drop_table('relocation')
    op.drop_table('rectification_item')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_household_id'))

    op.drop_table('person')
    with op.batch_alter_table('investigation_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_investigation_record_household_id'))
        batch_op.drop_index(batch_op.f('ix_investigation_record_campaign_id'))

    op.drop_table('investigation_record')
    with op.batch_alter_table('helper_pair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_helper_pair_worker_id'))
        batch_op.drop_index(batch_op.f('ix_helper_pair_household_id'))

    op.drop_table('helper_pair')
    with op.batch_alter_table('contact_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_visit_household_id'))

    op.drop_table('contact_visit')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_village_id'))
        batch_op.drop_index(batch_op.f('ix_household_grid_id'))
        batch_op.drop_index(batch_op.f('ix_household_attribute'))

    op.drop_table('household')
    with op.batch_alter_table('grid_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_assignment_worker_id'))
        batch_op.drop_index(batch_op.f('ix_grid_assignment_grid_id'))

    op.drop_table('grid_assignment')
    op.drop_table('resettlement_site')
    with op.batch_alter_table('grid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_parent_id'))
        batch_op.drop_index(batch_op.f('ix_grid_level'))
        batch_op.drop_index(batch_op.f('ix_grid_admin_unit_id'))

    op.drop_table('grid')
    op.drop_table('campaign_township')
    with op.batch_alter_table('campaign_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_milestone_campaign_id'))

    op.drop_table('campaign_milestone')
    op.drop_table('worker')
    op.drop_table('project_setting')
    op.drop_table('hazard_zone')
    op.drop_table('hazard_point')
    op.drop_table('campaign')
    op.drop_table('audit_log')
    with op.batch_alter_table('admin_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_unit_parent_id'))

    op.drop_table('admin_unit')
