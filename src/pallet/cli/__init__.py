"""The ``pallet`` command: Docker's commands and flags on pallet's own flag parser
(pflag's rules, Docker's wording), the ``--format`` template engine and the tables. It
talks to a daemon only through :mod:`pallet.client`; nothing here reaches into the
daemon side. ``cli/commands`` holds one module per command family.
"""
