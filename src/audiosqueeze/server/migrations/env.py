"""Alembic environment: runs on the connection :func:`audiosqueeze.server.db.migrate` passes in."""

from alembic import context

from audiosqueeze.server.db import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when run outside migrate()
    raise RuntimeError("run migrations through audiosqueeze.server.db.migrate(engine)")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
