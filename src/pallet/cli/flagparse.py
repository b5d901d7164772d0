"""Flag and positional declarations of one command (:class:`Flag`, :class:`Arg`)
and their parsing (:class:`Spec`), as pflag parses.

``--flag value``, ``--flag=value``, repeated flags (``-e A -e B``), combined
shorthands (``-it``, ``-p8080:80``, ``-p=8080:80``), booleans that take only
``--flag=false`` (never a separate word), ``--`` ends the flags, and a lone
``-`` is a positional. Without interspersed flags the first positional ends the
flags (``run``, ``create``, ``exec``). Errors are :class:`UsageError` with
docker's wording and exit codes (125 for flag errors, 1 for a wrong number of
arguments).
"""

from __future__ import annotations

from pallet.cli.flagerrors import HelpRequested, UsageError, arity_error

TYPE_CHECKING = False  # typing itself costs ~4 ms at start-up; only mypy needs it here
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

MISSING: Any = object()  # the default of a flag that declares none
_TRUE = ("1", "t", "T", "true", "TRUE", "True")
_FALSE = ("0", "f", "F", "false", "FALSE", "False")


class Flag:
    """One option: its names, kind (``bool``/``str``/``int``), default and help."""

    __slots__ = ("check", "default", "dest", "help", "hidden", "kind", "longs", "metavar",
                 "multiple", "off", "short")

    def __init__(self, decls: tuple[str, ...], *, is_flag: bool = False,
                 multiple: bool = False, type: Callable[[str], Any] | None = None,
                 default: Any = MISSING, help: str = "", hidden: bool = False,
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
        if default is MISSING:
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
                raise HelpRequested
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
                    raise HelpRequested
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
            raise arity_error(path, low, high)
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

