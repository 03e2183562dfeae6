"""Alembic environment: runs on the connection :func:`audiosqueeze.server.db.migrate` passes in."""

from alembic import context

from audiosqueeze.server.db import Base


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through audiosqueeze.server.db.migrate(engine)")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "config", None) is not None:  # under Alembic, not a plain import
    run()
