"""Detach keys: Docker's ``ctrl-p,ctrl-q`` notation and the escape filter over a stdin stream.

A sequence is comma-separated keys, each one character (``a``) or ``ctrl-`` with a letter or
one of ``@[\\]^_`` (``ctrl-a`` is 0x01, ``ctrl-@`` 0x00, ``ctrl-[`` 0x1b ... ``ctrl-_``
0x1f). :class:`EscapeFilter` passes bytes through, holding back those that could start the
sequence; once the whole sequence is typed it reports the detach (the held bytes are dropped),
and when it turns out to be ordinary input the held bytes go through.
"""

from __future__ import annotations

from pallet.errors import InvalidArgument

DEFAULT = "ctrl-p,ctrl-q"
_CTRL_SPECIAL = {"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}


def parse(keys: str) -> bytes:
    """``"ctrl-p,ctrl-q"`` -> ``b"\\x10\\x11"``; a bad key is an InvalidArgument naming it."""
    out = bytearray()
    for key in keys.split(","):
        low = key.lower()
        if len(key) == 1 and key.isascii():
            out.append(ord(key))
        elif low.startswith("ctrl-") and len(low) == 6 and "a" <= low[5] <= "z":
            out.append(ord(low[5]) - ord("a") + 1)
        elif low.startswith("ctrl-") and len(low) == 6 and low[5] in _CTRL_SPECIAL:
            out.append(_CTRL_SPECIAL[low[5]])
        else:
            raise InvalidArgument(f"Invalid detach keys ({key}) provided")
    return bytes(out)


def parse_or_default(keys: str) -> bytes:
    return parse(keys or DEFAULT)


class EscapeFilter:
    """Feeds stdin through; ``detached`` turns true when the sequence has been typed."""

    def __init__(self, sequence: bytes) -> None:
        self._seq = sequence
        self._held = 0  # how many bytes of the sequence are matched and held back
        self.detached = False

    def feed(self, data: bytes) -> bytes:
        """The bytes to pass on now; stops at the end of a detach sequence."""
        out = bytearray()
        for i, byte in enumerate(data):
            if byte == self._seq[self._held]:
                self._held += 1
                if self._held == len(self._seq):
                    self.detached = True
                    self._held = 0
                    return bytes(out)
                continue
            if self._held:
                out += self._seq[: self._held]
                self._held = 0
                if byte == self._seq[0]:
                    self._held = 1
                    continue
            out += data[i : i + 1]
        return bytes(out)
