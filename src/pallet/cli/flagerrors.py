"""How a command line ends early: :class:`UsageError` with docker's wording and
exit codes, :class:`Exit` (``--help``, ``--version``) and the help request the
parser raises for its command to answer."""

from __future__ import annotations


class UsageError(Exception):
    """A command line (or a flag value) the command rejects.

    ``code`` is the exit status (docker: 125 for flags, 1 for arguments);
    ``arity`` marks argument-count errors, which docker words differently.
    The command that raised it fills ``path`` and ``usage`` on the way out.
    """

    def __init__(self, message: str, code: int = 125, *, arity: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.arity = arity
        self.path = ""
        self.usage = ""
        self.see = False  # docker says "See" for "requires at least", "Run" elsewhere
        self.bare = False  # the message alone, without usage and hint (a plugin's way)

    def render(self) -> str:
        """The text docker prints on stderr for this error."""
        if self.bare:
            return self.message
        verb = "See" if self.see else "Run"
        head = f"pallet: {self.message}" if self.arity else self.message
        usage = f"\n\nUsage:  {self.usage}" if self.usage else ""
        path = self.path or "pallet"
        return f"{head}{usage}\n\n{verb} '{path} --help' for more information"


class Exit(Exception):
    """Leave with ``code`` and nothing more to print (``--help``, ``--version``)."""

    def __init__(self, code: int = 0) -> None:
        super().__init__(code)
        self.code = code


class HelpRequested(Exception):
    """``--help`` was given."""


def arity_error(path: str, low: int, high: int | None) -> UsageError:
    """docker's error for a positional count outside ``low``..``high`` (None: no limit)."""

    def count(k: int) -> str:
        return f"{k} argument" if k == 1 else f"{k} arguments"

    if high == 0:
        text = "accepts no arguments"
    elif high is None:
        text = f"requires at least {count(low)}"
    elif low == high:
        text = f"requires {count(low)}"
    else:
        text = f"requires at least {low} and at most {count(high)}"
    err = UsageError(f"'{path}' {text}", 1, arity=True)
    err.see = high is None
    return err
