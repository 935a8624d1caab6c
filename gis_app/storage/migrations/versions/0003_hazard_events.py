"""Disasters that happened and the clues they raise: ``hazard_event`` (footprint, date, kind,
digest), ``risk_clue.event_id`` with one clue per household and event, and the threat radius
of hazard points.

Existing projects gain the columns in place (``ALTER TABLE … ADD COLUMN``, a unique index):
``risk_clue`` is not rebuilt, since monitoring cases refer to its rows.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from gis_app.storage.geometry import Geometry

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table('hazard_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('geom', Geometry("MULTIPOLYGON"), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('digest')
    )
    op.add_column('hazard_point', sa.Column('threat_radius', sa.Float(), nullable=True))
    if postgres:
        op.add_column('risk_clue', sa.Column('event_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_risk_clue_event_id_hazard_event', 'risk_clue',
                              'hazard_event', ['event_id'], ['id'])
        op.execute("CREATE INDEX ix_hazard_event_geom ON hazard_event USING GIST (geom)")
    else:
        # SQLite adds a column with its reference in place; a batch copy would drop risk_clue,
        # which monitoring_case rows refer to.
        op.execute("ALTER TABLE risk_clue ADD COLUMN event_id INTEGER "
                   "REFERENCES hazard_event (id)")
    op.create_index('ix_risk_clue_event_id', 'risk_clue', ['event_id'], unique=False)
    op.create_index('uq_risk_clue_event_household', 'risk_clue', ['event_id', 'household_id'],
                    unique=True)
    # Deleting clues (an event's, undone) checks the cases that refer to them: by index, not by
    # a scan of every case per clue.
    op.create_index('ix_monitoring_case_clue_id', 'monitoring_case', ['clue_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_monitoring_case_clue_id', table_name='monitoring_case')
    op.drop_index('uq_risk_clue_event_household', table_name='risk_clue')
    op.drop_index('ix_risk_clue_event_id', table_name='risk_clue')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint('fk_risk_clue_event_id_hazard_event', 'risk_clue',
                           type_='foreignkey')
        op.drop_column('risk_clue', 'event_id')
    else:
        # SQLite drops a referencing column only by copying the table, and dropping the old
        # copy would break the cases' references to clues: the copy keeps the same ids, so the
        # references are switched off for it (the driver runs DDL outside a transaction,
        # where the pragma takes effect).
        op.execute("PRAGMA foreign_keys = OFF")
        try:
            with op.batch_alter_table('risk_clue', schema=None) as batch_op:
                batch_op.drop_column('event_id')
        finally:
            op.execute("PRAGMA foreign_keys = ON")
    op.drop_column('hazard_point', 'threat_radius')
    op.drop_table('hazard_event')
