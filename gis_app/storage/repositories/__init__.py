"""Repositories: the SQL the services need, returning plain values and frames, never ORM rows."""
