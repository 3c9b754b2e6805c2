"""Storage behind small interfaces: the durable store (SQLAlchemy over PostgreSQL or SQLite, one
repository per aggregate), the ephemeral store (Redis or in-process), migrations. It imports
nothing above it but idp.plumbing (hashing, encryption at rest)."""
