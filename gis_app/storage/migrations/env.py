"""Alembic environment: runs on the connection handed over by gis_app.storage.project.init_db."""

from alembic import context

from gis_app.storage.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
