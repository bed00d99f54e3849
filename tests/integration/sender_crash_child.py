"""Child process of the crash test: a bulk send that the test kills with SIGKILL mid-way.

Configured by the environment (set by the test): ``CRASH_DB_URL``, ``CRASH_API_BASE_URL``,
``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``CRASH_FROM``, ``CRASH_COUNT``, ``CRASH_RATE``.
It prints one line per accepted message so the test can see progress, and never exits on its
own before the bulk is done.
"""

from __future__ import annotations

import asyncio
import os
import sys

from console.gateway.checks import Outgoing
from console.gateway.client import TwilioGateway
from console.gateway.sender import Sender
from console.secrets import from_environment
from console.settings import Pacing
from console.store.queries import Reader
from console.store.writer import Writer


def recipients(count: int, sender: str) -> list[Outgoing]:
    """The messages of the crash test (the test rebuilds the same list to check them)."""
    return [
        Outgoing(f"+1415555{2000 + i}", f"crash test message {i}", sender) for i in range(count)
    ]


async def main() -> None:
    """Send the bulk and wait for it (the test kills us long before the end)."""
    db_url = os.environ["CRASH_DB_URL"]
    writer = Writer(db_url)
    await writer.start()
    reader = Reader(db_url)
    gateway = TwilioGateway(
        from_environment(), api_base_url=os.environ["CRASH_API_BASE_URL"], timeout=10.0
    )
    sender = Sender(
        writer,
        reader,
        gateway,
        pacing=Pacing(long_code=float(os.environ["CRASH_RATE"])),
        status_callback=lambda: None,
    )
    job = await sender.send_bulk(
        recipients(int(os.environ["CRASH_COUNT"]), os.environ["CRASH_FROM"]),
        on_progress=lambda p: print(f"progress {p.done}", flush=True),
    )
    print(f"recorded {job.id}", flush=True)
    await job.wait()
    await writer.close()
    reader.close()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
