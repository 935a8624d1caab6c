"""SQLAlchemy store: engine and project opening, models, migrations and repositories."""
