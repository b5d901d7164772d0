"""pallet's own command-line parser: declarative commands with the docker CLI's
flag semantics (spf13/pflag + cobra), at a fraction of click's import cost.

Declare a command with decorators, as with click::

    @command(interspersed=False)
    @option("-e", "--env", multiple=True, help="Set environment variables")
    @option("--rm", is_flag=True, help="Remove the container when it exits")
    @argument("image")
    @argument("command", nargs=-1, metavar="[COMMAND] [ARG...]")
    def run(image: str, command: tuple[str, ...], env: tuple[str, ...], rm: bool) -> None: ...

Parsing follows pflag: ``--flag value``, ``--flag=value``, repeated flags
(``-e A -e B``), combined shorthands (``-it``, ``-p8080:80``, ``-p=8080:80``),
booleans that take only ``--flag=false`` (never a separate word), ``--`` ends
the flags, and a lone ``-`` is a positional. With ``interspersed=False`` the
first positional ends the flags (``run``, ``create``, ``exec``). Errors are
:class:`UsageError` with docker's wording and exit codes (125 for flag errors,
1 for a wrong number of arguments).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing itself costs ~4 ms at start-up; only mypy needs it here
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])

_MISSING: Any = object()
_TRUE = ("1", "t", "T", "true", "TRUE", "True")
_FALSE = ("0", "f", "F", "false", "FALSE", "False")


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

    def render(self) -> str:
        """The text docker prints on stderr for this error."""
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


class _Help(Exception):
    """``--help`` was given."""


class Flag:
    """One option: its names, kind (``bool``/``str``/``int``), default and help."""

    __slots__ = ("check", "default", "dest", "help", "hidden", "kind", "longs", "metavar",
                 "multiple", "off", "short")

    def __init__(self, decls: tuple[str, ...], *, is_flag: bool = False,
                 multiple: bool = False, type: Callable[[str], Any] | None = None,
                 default: Any = _MISSING, help: str = "", hidden: bool = False,
                 metavar: str = "") -> None:
        self.short = ""
        self.longs: list[str] = []
        self.off: list[str] = []  # ``--no-x`` spellings that set False
        dest = ""
        for decl in decls:
            if not decl.startswith("-"):
                dest = decl
                continue
            on, _, off = decl.partition("/")
            if off:
                is_flag = True
                self.off.append(off.lstrip("-"))
            if on.startswith("--"):
                self.longs.append(on[2:])
            elif len(on) == 2:
                self.short = on[1]
            else:
                raise ValueError(f"bad flag declaration {decl!r}")
        if not dest:
            dest = (self.longs[0] if self.longs else self.short).replace("-", "_").lower()
        self.dest = dest
        self.kind = "bool" if is_flag else ("int" if type is int else "str")
        # any other ``type`` converts (or checks) the text when the flag is parsed,
        # as docker's typed flags do; a ValueError becomes docker's flag error
        self.check = type if type not in (None, int, str) else None
        self.multiple = multiple
        if default is _MISSING:
            default = () if multiple else (False if is_flag else None)
        self.default = default
        self.help = help
        self.hidden = hidden
        self.metavar = metavar

    @property
    def label(self) -> str:
        """``-c, --cpu-shares`` as docker names a flag in its errors."""
        names = [f"-{self.short}"] if self.short else []
        return ", ".join(names + [f"--{n}" for n in self.longs])

    def convert(self, value: str) -> Any:
        if self.kind == "int":
            try:
                return int(value, 10)
            except ValueError:
                raise UsageError(
                    f'invalid argument "{value}" for "{self.label}" flag: '
                    f'strconv.ParseInt: parsing "{value}": invalid syntax'
                ) from None
        if self.check is not None:
            try:
                return self.check(value)
            except ValueError as err:
                raise UsageError(
                    f'invalid argument "{value}" for "{self.label}" flag: {err}'
                ) from None
        return value

    def boolean(self, value: str) -> bool:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise UsageError(
            f'invalid argument "{value}" for "{self.label}" flag: '
            f'strconv.ParseBool: parsing "{value}": invalid syntax'
        )


class Arg:
    """One positional: a single word (``nargs=1``) or the rest (``nargs=-1``)."""

    __slots__ = ("default", "dest", "metavar", "nargs", "required")

    def __init__(self, dest: str, *, nargs: int = 1, required: bool | None = None,
                 default: Any = None, metavar: str = "") -> None:
        self.dest = dest
        self.nargs = nargs
        self.required = (nargs == 1) if required is None else required
        self.default = () if nargs == -1 else default
        self.metavar = metavar

    def usage(self) -> str:
        if self.metavar:
            return self.metavar
        name = self.dest.upper()
        if self.nargs == -1:
            one = name[:-1] if name.endswith("S") else name  # CONTAINERS -> CONTAINER
            return f"{one} [{one}...]" if self.required else f"[{one}...]"
        return name if self.required else f"[{name}]"


class Spec:
    """The flags and positionals of one command (or group) and how to parse them."""

    def __init__(self, flags: list[Flag], args: list[Arg], interspersed: bool) -> None:
        self.flags = flags
        self.args = args
        self.interspersed = interspersed
        self.shorts = {f.short: f for f in flags if f.short}
        self.longs: dict[str, tuple[Flag, bool]] = {}
        for f in flags:
            for n in f.longs:
                self.longs[n] = (f, True)
            for n in f.off:
                self.longs[n] = (f, False)

    def parse(self, argv: list[str]) -> tuple[dict[str, Any], list[str]]:
        """Flag values by ``dest`` (defaults filled in) and the positionals."""
        given: dict[str, Any] = {}
        words: list[str] = []
        i, n = 0, len(argv)
        while i < n:
            word = argv[i]
            i += 1
            if word == "--":
                words.extend(argv[i:])
                break
            if word.startswith("--"):
                i = self._long(word, argv, i, given)
            elif word.startswith("-") and word != "-":
                i = self._shorts(word[1:], argv, i, given)
            else:
                words.append(word)
                if not self.interspersed:
                    words.extend(argv[i:])
                    break
        values = {f.dest: f.default for f in self.flags}
        for dest, value in given.items():
            values[dest] = tuple(value) if isinstance(value, list) else value
        return values, words

    def _long(self, word: str, argv: list[str], i: int, given: dict[str, Any]) -> int:
        name, eq, value = word[2:].partition("=")
        hit = self.longs.get(name)
        if hit is None:
            if name == "help":
                raise _Help
            raise UsageError(f"unknown flag: --{name}")
        flag, on = hit
        if flag.kind == "bool":
            state = flag.boolean(value) if eq else True
            self._set(flag, state if on else not state, given)
            return i
        if not eq:
            if i >= len(argv):
                raise UsageError(f"flag needs an argument: --{name}")
            value = argv[i]
            i += 1
        self._set(flag, flag.convert(value), given)
        return i

    def _shorts(self, chars: str, argv: list[str], i: int, given: dict[str, Any]) -> int:
        j = 0
        while j < len(chars):
            c = chars[j]
            flag = self.shorts.get(c)
            if flag is None:
                if c == "h":
                    raise _Help
                raise UsageError(f"unknown shorthand flag: '{c}' in -{chars[j:]}")
            rest = chars[j + 1 :]
            if flag.kind == "bool":
                if rest.startswith("="):
                    self._set(flag, flag.boolean(rest[1:]), given)
                    return i
                self._set(flag, True, given)
                j += 1
                continue
            if rest:
                value = rest[1:] if rest.startswith("=") else rest
            elif i < len(argv):
                value = argv[i]
                i += 1
            else:
                raise UsageError(f"flag needs an argument: '{c}' in -{chars[j:]}")
            self._set(flag, flag.convert(value), given)
            return i
        return i

    @staticmethod
    def _set(flag: Flag, value: Any, given: dict[str, Any]) -> None:
        if flag.multiple:
            given.setdefault(flag.dest, []).append(value)
        else:
            given[flag.dest] = value

    def bind(self, words: list[str], values: dict[str, Any], path: str) -> None:
        """Assign positionals to the declared arguments, checking their count."""
        singles = [a for a in self.args if a.nargs == 1]
        rest = next((a for a in self.args if a.nargs == -1), None)
        low = sum(a.required for a in singles) + (1 if rest and rest.required else 0)
        high = None if rest else len(singles)
        if len(words) < low or (high is not None and len(words) > high):
            raise _arity(path, low, high)
        for arg in singles:
            values[arg.dest] = words.pop(0) if words else arg.default
        if rest is not None:
            values[rest.dest] = tuple(words)

    def usage(self, path: str) -> str:
        parts = [path]
        if any(not f.hidden for f in self.flags):
            parts.append("[OPTIONS]")
        parts += [a.usage() for a in self.args]
        return " ".join(parts)


def _arity(path: str, low: int, high: int | None) -> UsageError:
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
            except _Help:
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
                 callback: Callable[..., Any] | None = None) -> None:
        self.name = name
        self.help = help
        self.table = table
        self.spec = Spec(flags or [], [], interspersed=False)
        self.callback = callback

    def invoke(self, argv: list[str], path: str) -> Any:
        try:
            try:
                values, words = self.spec.parse(argv)
            except _Help:
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
        import importlib

        module, attr, _ = self.table[name]
        target = getattr(importlib.import_module(module), attr)
        assert isinstance(target, Command | Group), f"{module}.{attr}"
        return target


def _params(fn: Callable[..., Any]) -> tuple[list[Flag], list[Arg]]:
    found: tuple[list[Flag], list[Arg]] = fn.__dict__.setdefault("__pallet_params__", ([], []))
    return found


def option(*decls: str, is_flag: bool = False, multiple: bool = False,
           type: Callable[[str], Any] | None = None, default: Any = _MISSING, help: str = "",
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
