"""Schema migrations (Alembic), callable from the CLI and the tests."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config as AlembicConfig

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def upgrade(database_url: str, revision: str = "head") -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(cfg, revision)
