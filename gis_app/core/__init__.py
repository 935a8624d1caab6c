"""Qt-free, database-free domain: codes, entities and rules of DOMAIN.md."""
