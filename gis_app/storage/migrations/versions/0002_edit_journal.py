"""Edits and a row-level audit log: the ``edit`` table (one unit of work each) and
``audit_log.edit_id`` with an index by row, so a refused edit can name who changed a row last
and another process can read what changed since it last looked.

Revision ID: 0002
Revises: 0001
"""

import json
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('edit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('undoes', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_audit_log_edit_id_edit', 'edit', ['edit_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_audit_log_edit_id'), ['edit_id'], unique=False)
        batch_op.create_index('ix_audit_log_row', ['table_name', 'row_id'], unique=False)
    # The audit log's digest key (storage/audit.py), made with the project, not by its first edit.
    op.get_bind().execute(
        sa.text("INSERT INTO project_setting (key, value) VALUES (:k, :v)"),
        {"k": "audit_digest_key", "v": json.dumps(secrets.token_hex(16))})


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM project_setting WHERE key = 'audit_digest_key'"))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_row')
        batch_op.drop_index(batch_op.f('ix_audit_log_edit_id'))
        batch_op.drop_constraint('fk_audit_log_edit_id_edit', type_='foreignkey')
        batch_op.drop_column('edit_id')
    op.drop_table('edit')
