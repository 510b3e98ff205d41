"""The agents bench_server.py serves: the same agent on runwire-server and on Agno's AgentOS.

Both answer from the benchmarks' OpenAI-compatible stub (``BENCH_STUB_URL``) through their
OpenAI chat model, and both keep their runs in a SQLite file (``BENCH_DB_DIR``), or with several
workers in the local PostgreSQL (``BENCH_PG_URL``, a schema each).
"""

from __future__ import annotations

import os

KEY = "sk-bench-0000000000000000"
STUB = os.environ.get("BENCH_STUB_URL", "http://127.0.0.1:9/v1")


def runwire_agents():
    from runwire.agent import Agent
    from runwire_openai import OpenAIChat

    return [Agent(model=OpenAIChat(id="stub-model", base_url=STUB, api_key=KEY, max_retries=0), id="bench", name="bench")]


def agno_app():
    from agno.agent import Agent
    from agno.models.openai import OpenAIChat
    from agno.os import AgentOS

    if os.environ.get("BENCH_AGNO_PG_SCHEMA"):  # several workers: the same PostgreSQL as runwire's
        from agno.db.postgres import PostgresDb

        url = os.environ["BENCH_PG_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        db = PostgresDb(db_url=url, db_schema=os.environ["BENCH_AGNO_PG_SCHEMA"])
    else:
        from agno.db.sqlite import SqliteDb

        db = SqliteDb(db_file=os.path.join(os.environ.get("BENCH_DB_DIR", "."), "agno.db"))
    agent = Agent(id="bench", name="bench", model=OpenAIChat(id="stub-model", base_url=STUB, api_key=KEY, max_retries=0),
                  db=db, telemetry=False)
    return AgentOS(agents=[agent], telemetry=False).get_app()
