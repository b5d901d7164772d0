"""``pallet`` entry point. ``--version`` answers before anything else loads; the
command tree (``pallet.cli.app``) loads each command's module only when used."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-v"]):
        from pallet import __version__

        sys.stdout.write(f"pallet version {__version__}\n")
        return
    from pallet.cli.app import main as run

    code = run(args)
    if code:
        sys.exit(code)


if __name__ == "__main__":
    main()
