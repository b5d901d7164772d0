"""``pallet lint``: the guide's anti-patterns in Dockerfiles and compose files.

Prints one finding a line (``file:line:col ID severity: message (fix: ...)``), or JSON,
or SARIF 2.1.0 (``--format``); exits 1 when a finding at or above
``--failure-threshold`` remains after ``--ignore``, inline ``# pallet-lint ignore=ID``
comments and the config file (``pallet.lint.policy``). ``--list-rules`` prints the
catalogue.
"""

from __future__ import annotations

import sys

from pallet.cli.errors import StatusError
from pallet.cli.flagerrors import UsageError
from pallet.cli.flags import argument, command, option


@command()
@option("-f", "--file", "files", multiple=True,
        help="A Dockerfile to lint (repeatable; - for stdin)")
@option("--context", default="", help="Build context of the Dockerfiles (default: their dir)")
@option("--format", "fmt", default="text", help="Output format: text, json, sarif")
@option("--ignore", "ignores", multiple=True, help="Rule id to ignore (PL1xx or DL3xxx)")
@option("--failure-threshold", "threshold", default="",
        help="Exit 1 at this severity or above: error, warning, info, style, none")
@option("--config", default="", help="Config file (default: .pallet-lint.yaml, pyproject.toml)")
@option("--list-rules", is_flag=True, help="Print the rules and exit")
@option("--no-color", is_flag=True, help="Plain text output")
@argument("paths", nargs=-1, metavar="[PATH...]")
def lint(files: tuple[str, ...], context: str, fmt: str, ignores: tuple[str, ...],
         threshold: str, config: str, list_rules: bool, no_color: bool,
         paths: tuple[str, ...]) -> int:
    """Lint Dockerfiles and compose files against the guide's anti-patterns."""
    from pallet.lint.output import FORMATS

    if fmt not in FORMATS:
        raise UsageError(f"invalid --format {fmt!r}: one of {', '.join(FORMATS)}")
    if list_rules:
        _list_rules()
        return 0
    from pallet.cli.lintrun import lint_all
    from pallet.errors import InvalidArgument
    from pallet.lint.output import render
    from pallet.lint.policy import apply, check_threshold, expand_ids, load_config

    try:
        expand_ids(ignores)  # a wrong flag is named before anything is read
        check_threshold(threshold or "info")
        cfg = load_config(config or None, list(paths) or list(files))
        found, sources = lint_all(list(paths), list(files), context or None)
        report = apply(found, sources, cfg, ignores, threshold or None)
    except InvalidArgument as e:
        raise StatusError(2, f"pallet lint: {e}") from None
    color = fmt == "text" and not no_color and sys.stdout.isatty()
    sys.stdout.buffer.write(render(report, fmt, color))
    sys.stdout.flush()
    return 1 if report.failed else 0


def _list_rules() -> None:
    from pallet.lint.catalogue import RULES

    for r in RULES.values():
        twins = f" [{', '.join(r.hadolint)}]" if r.hadolint else ""
        sys.stdout.write(f"{r.id} {r.severity:8} {r.title}{twins}\n    fix: {r.fix}\n")
