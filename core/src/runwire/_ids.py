"""Random identifiers for runs and sessions."""

from __future__ import annotations

from random import getrandbits


def new_id() -> str:
    """A random UUID4-formatted string.

    Ids name runs and sessions; they are not secrets, so the fast, fork-safe
    ``random`` generator is used rather than ``uuid.uuid4`` (a system call each).
    """
    h = f"{getrandbits(128) & ~(0xF << 76) & ~(0x3 << 62) | (0x4 << 76) | (0x2 << 62):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
