"""pg_trgm for the PostgreSQL migrations: the extension created if it can be, its operator class.

Shared by migrations 0004 and 0005 (both build trigram GIN indexes). Migrations run it as it is
now, so it must keep doing exactly this: changing what an applied migration did belongs in a new
migration, not here.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("alembic.runtime.migration")


def trigram_ops(bind: Connection) -> str | None:
    """``gin_trgm_ops`` qualified by pg_trgm's schema (which need not be on the search_path),
    creating the extension if need be; None where it cannot be (the transaction stays usable).
    """
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        savepoint.rollback()
        log.warning("pg_trgm is not available (%s): the text filter will scan", exc.orig)
        return None
    savepoint.commit()
    schema = bind.exec_driver_sql(
        "SELECT quote_ident(n.nspname) FROM pg_extension e "
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    ).scalar_one()
    return f"{schema}.gin_trgm_ops"
