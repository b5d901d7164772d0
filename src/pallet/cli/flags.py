"""pallet's own command-line parser: declarative commands with the docker CLI's
flag semantics (spf13/pflag + cobra), at a fraction of click's import cost.

Declare a command with decorators, as with click::

    @command(interspersed=False)
    @option("-e", "--env", multiple=True, help="Set environment variables")
    @option("--rm", is_flag=True, help="Remove the container when it exits")
    @argument("image")
    @argument("command", nargs=-1, metavar="[COMMAND] [ARG...]")
    def run(image: str, command: tuple[str, ...], env: tuple[str, ...], rm: bool) -> None: ...

This module holds the decorators, :class:`Command` and the lazily imported
:class:`Group`; the parsing itself is :mod:`pallet.cli.flagparse`, its errors
(:class:`~pallet.cli.flagerrors.UsageError`) :mod:`pallet.cli.flagerrors` and
``--help`` text :mod:`pallet.cli.flaghelp`.
"""

from __future__ import annotations

import sys

from pallet.cli.flagerrors import Exit, HelpRequested, UsageError
from pallet.cli.flagparse import MISSING, Arg, Flag, Spec

TYPE_CHECKING = False  # typing itself costs ~4 ms at start-up; only mypy needs it here
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])


class Command:
    """A leaf command: parse ``argv``, call the function with the values."""

    def __init__(self, fn: Callable[..., Any], name: str, spec: Spec) -> None:
        self.fn = fn
        self.name = name
        self.spec = spec
        doc = (fn.__doc__ or "").strip()
        self.help = doc.split("\n\n", 1)[0].replace("\n", " ").rstrip(".")

    def parse(self, argv: list[str], path: str = "") -> dict[str, Any]:
        """The keyword arguments ``argv`` gives the function (no call)."""
        path = path or f"pallet {self.name}"
        values, words = self.spec.parse(argv)
        self.spec.bind(words, values, path)
        return values

    def invoke(self, argv: list[str], path: str) -> Any:
        """Parse and run; usage errors leave carrying this command's usage line."""
        try:
            try:
                values = self.parse(argv, path)
            except HelpRequested:
                from pallet.cli.flaghelp import command_help

                _write(command_help(self, path))
                raise Exit(0) from None
            return self.fn(**values)
        except UsageError as err:
            if not err.path:
                err.path, err.usage = path, self.spec.usage(path)
            raise

    def __call__(self, *args: Any, **kw: Any) -> Any:
        return self.fn(*args, **kw)


# name -> (module, attribute, short help): commands imported only when they run
Table = dict[str, tuple[str, str, str]]


class Group:
    """Commands under a name, each imported from its module on first use."""

    def __init__(self, name: str, help: str, table: Table, flags: list[Flag] | None = None,
                 callback: Callable[..., Any] | None = None, *,
                 flag_error_code: int | None = None) -> None:
        self.name = name
        self.help = help
        self.table = table
        self.spec = Spec(flags or [], [], interspersed=False)
        self.callback = callback
        # a plugin's own rule for flag errors below it (Compose v2: the message alone, exit 1)
        self.flag_error_code = flag_error_code

    def invoke(self, argv: list[str], path: str) -> Any:
        try:
            return self._invoke(argv, path)
        except UsageError as err:
            if self.flag_error_code is not None and not err.arity:
                err.code, err.bare = self.flag_error_code, True
            raise

    def _invoke(self, argv: list[str], path: str) -> Any:
        try:
            try:
                values, words = self.spec.parse(argv)
            except HelpRequested:
                words, values = [], None
            if values is not None and self.callback is not None:
                self.callback(**values)
        except UsageError as err:
            if not err.path:
                err.path, err.usage = path, f"{path} [OPTIONS] COMMAND [ARG...]"
            raise
        if not words:
            from pallet.cli.flaghelp import group_help

            _write(group_help(self, path))
            raise Exit(0)
        if words[0] == "help" and "help" not in self.table:
            self.help_for(words[1:], path)
        entry = self.table.get(words[0])
        if entry is None:
            unknown = UsageError(f"unknown command: {path} {words[0]}", 1, arity=True)
            unknown.path = path
            raise unknown
        target = self.resolve(words[0])
        return target.invoke(words[1:], f"{path} {words[0]}")

    def help_for(self, words: list[str], path: str) -> None:
        """``pallet help [COMMAND...]`` (cobra's help command): print that help, exit 0."""
        from pallet.cli.flaghelp import command_help, group_help

        target: Command | Group = self
        for word in words:
            if not isinstance(target, Group) or word not in target.table:
                unknown = UsageError(f"unknown help topic: {' '.join(words)}", 1, arity=True)
                unknown.path = path
                raise unknown
            target, path = target.resolve(word), f"{path} {word}"
        _write(command_help(target, path) if isinstance(target, Command)
               else group_help(target, path))
        raise Exit(0)

    def resolve(self, name: str) -> Command | Group:
        module, attr, _ = self.table[name]
        # the builtin import: the importlib package would load warnings (~0.7 ms) for this
        __import__(module)
        target = getattr(sys.modules[module], attr)
        assert isinstance(target, Command | Group), f"{module}.{attr}"
        return target


def _params(fn: Callable[..., Any]) -> tuple[list[Flag], list[Arg]]:
    found: tuple[list[Flag], list[Arg]] = fn.__dict__.setdefault("__pallet_params__", ([], []))
    return found


def option(*decls: str, is_flag: bool = False, multiple: bool = False,
           type: Callable[[str], Any] | None = None, default: Any = MISSING, help: str = "",
           hidden: bool = False, metavar: str = "") -> Callable[[F], F]:
    """Declare a flag (click's spelling: ``"-a", "--all", "all_"``, ``--x/--no-x``)."""
    flag = Flag(decls, is_flag=is_flag, multiple=multiple, type=type, default=default,
                help=help, hidden=hidden, metavar=metavar)

    def decorate(fn: F) -> F:
        _params(fn)[0].insert(0, flag)
        return fn

    return decorate


def argument(dest: str, *, nargs: int = 1, required: bool | None = None, default: Any = None,
             metavar: str = "") -> Callable[[F], F]:
    """Declare a positional; ``nargs=-1`` takes all the remaining words."""
    arg = Arg(dest, nargs=nargs, required=required, default=default, metavar=metavar)

    def decorate(fn: F) -> F:
        _params(fn)[1].insert(0, arg)
        return fn

    return decorate


def command(
    name: str = "", *, interspersed: bool = True
) -> Callable[[Callable[..., Any]], Command]:
    """Turn a function with declared flags and arguments into a :class:`Command`."""

    def decorate(fn: Callable[..., Any]) -> Command:
        flags, args = _params(fn)
        cmd_name = name or fn.__name__.rstrip("_").replace("_", "-")
        return Command(fn, cmd_name, Spec(flags, args, interspersed))

    return decorate


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
