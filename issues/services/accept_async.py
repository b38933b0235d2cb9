"""Queueing accepted events from asyncio: the ASGI front of the ingest routes
(issues.ingest_asgi) hands each request's rows to one AcceptQueue per process, which
writes the rows of every request waiting at that moment with one INSERT and one commit, then
answers them all.

Each request still waits for its own rows to be committed: durably, unless
ISSUES_API_INGEST_SYNCHRONOUS_COMMIT is off (then off for each of the queue's INSERTs). The
statement is events_accept's (accept_statement). What the batch saves is per statement: a
round trip, a parse, a commit and its flush, for many requests instead of one each. A batch
the database refuses for what one request sent is written again request by request, so that
only that request fails; a lost connection fails the whole batch (503: the SDKs send again)
and is opened anew for the next.

PostgreSQL only, through psycopg's asyncio connection (the setting's database, with the
options Django gives its own connections). Elsewhere (SQLite, for `make run` and tests)
the front calls events_accept in a thread instead.
"""

import asyncio
import logging

import psycopg
from django.conf import settings
from django.db import connections

from issues.services.ingest import accept_statement

logger = logging.getLogger("issues.ingest")

# Rows in one statement at most (4 parameters each; PostgreSQL takes 65,535 parameters).
MOST_ROWS = 1000
# What Django's psycopg backend passes that belongs to its own synchronous cursors.
_DJANGO_ONLY = ("cursor_factory", "context")


class AcceptQueue:
    def __init__(self, alias: str = "default"):
        self.alias = alias
        self._waiting: list[tuple[list[tuple], asyncio.Future]] = []
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task | None = None
        self._connection: psycopg.AsyncConnection | None = None

    async def put(self, rows: list[tuple]) -> None:
        """Returns once `rows` (issues.services.ingest.accepted_rows) are committed; raises
        what the database raised."""
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer.done() or self._writer.get_loop() is not loop:
            if self._writer is not None and self._writer.get_loop() is not loop:
                # Another loop's connection is of no use here (tests run a loop each).
                self._connection = None
            self._wake = asyncio.Event()
            self._writer = loop.create_task(self._write())
        committed = loop.create_future()
        self._waiting.append((rows, committed))
        self._wake.set()
        await committed

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        await self._disconnect()

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._waiting:
                batch = self._take()
                try:
                    await self._commit(batch)
                except Exception as error:  # never leave a request waiting
                    logger.exception("Accepted events could not be queued")
                    _fail(batch, error)

    def _take(self) -> list[tuple[list[tuple], asyncio.Future]]:
        """The requests waiting longest, up to MOST_ROWS rows (always at least one)."""
        count, rows = 0, 0
        for waiting_rows, _ in self._waiting:
            if count and rows + len(waiting_rows) > MOST_ROWS:
                break
            count += 1
            rows += len(waiting_rows)
        batch, self._waiting = self._waiting[:count], self._waiting[count:]
        return batch

    async def _commit(self, batch) -> None:
        try:
            await self._execute([row for rows, _ in batch for row in rows])
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            await self._disconnect()
            _fail(batch, error)
            return
        except psycopg.Error as error:
            if len(batch) == 1:
                _fail(batch, error)
                return
            for one in batch:
                await self._commit([one])
            return
        for _, committed in batch:
            if not committed.done():  # done: its request was cancelled (the client left)
                committed.set_result(None)

    async def _execute(self, rows: list[tuple]) -> None:
        if self._connection is None or self._connection.closed:
            params = connections[self.alias].get_connection_params()
            for name in _DJANGO_ONLY:
                params.pop(name, None)
            self._connection = await psycopg.AsyncConnection.connect(autocommit=True, **params)
        commit_late = not settings.ISSUES_API_INGEST_SYNCHRONOUS_COMMIT
        sql, params = accept_statement(rows, commit_late=commit_late)
        if commit_late:
            # synchronous_commit off for this statement's implicit transaction only (a
            # session's setting would stay on a pooled server connection, for other clients'
            # commits): SET LOCAL and the INSERT in one text, which takes the simple query
            # protocol, so parameters bound by the client, as Django's cursors bind them.
            await psycopg.AsyncClientCursor(self._connection).execute(sql, params)
        else:
            await self._connection.execute(sql, params)

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.closed:
            await connection.close()


def _fail(batch, error: BaseException) -> None:
    for _, committed in batch:
        if not committed.done():
            committed.set_exception(error)
