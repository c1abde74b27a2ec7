"""Driving a chat stream (a sync generator) from async routes."""

from __future__ import annotations

from collections.abc import Generator

from starlette.concurrency import run_in_threadpool

from service.chat import Delta
from service.schemas import ChatResponse

Item = Delta | ChatResponse
Items = Generator[Item, None, None]


def next_or_none(it: Items) -> Item | None:
    return next(it, None)


async def prefetch(it: Items) -> Item | None:
    """Pull the first item before answering 200, so a bad request or a dead model server
    still gets its proper 4xx/5xx JSON error instead of a broken stream."""
    try:
        return await run_in_threadpool(next_or_none, it)
    except BaseException:
        it.close()
        raise
