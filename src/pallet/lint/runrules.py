"""The rules that read what a RUN instruction's shell script does.

Each function takes the simple commands of one RUN (``shellcmd.commands``) and answers
the rule ids it breaks with a message. ``shipped`` says whether the stage's layers end up
in the image: cache rules only matter there (a builder stage's cache is thrown away).
"""

from __future__ import annotations

import re

from pallet.lint.shellcmd import packages, program

BUILD_TOOLS = frozenset(
    "build-essential gcc g++ make cmake clang musl-dev build-base libc-dev libc6-dev "
    "python3-dev python-dev autoconf automake libtool pkg-config pkgconf".split()
)
_BUILD_STEPS = (("npm", "run", "build"), ("yarn", "build"), ("yarn", "run", "build"),
                ("go", "build"), ("mvn", "package"), ("mvn", "install"), ("gradle", "build"),
                ("cargo", "build"), ("dotnet", "publish"), ("dotnet", "build"))
_YES = re.compile(r"^(-y|--yes|--assume-yes|-qq|-q=2|--quiet=2|-[a-z]*y[a-z]*)$")
_PIN = re.compile(r"(==|>=|<=|~=|!=|<|>|@)")

Hit = tuple[str, str]  # (rule id, message)


def _apt_installs(cmds: list[list[str]]) -> list[list[str]]:
    out = []
    for c in cmds:
        prog, args = program(c)
        if prog in ("apt-get", "apt") and "install" in args:
            out.append(args)
    return out


def check_run(cmds: list[list[str]], text: str, shipped: bool, final: bool,
              mounts: str = "") -> list[Hit]:
    """``mounts``: the RUN's ``--mount`` flags; a cache mount over a package manager's cache
    keeps it out of the layer, so its cache rule does not apply."""
    hits: list[Hit] = []
    cache = mounts if "type=cache" in mounts else ""
    progs = [program(c) for c in cmds]
    names = {p for p, _ in progs}
    apt = _apt_installs(cmds)
    if apt:
        if shipped and "/var/lib/apt/lists" not in text and "/var/lib/apt" not in cache:
            hits.append(("PL105", "apt-get install without rm -rf /var/lib/apt/lists/* "
                                  "in the same RUN"))
        if any("--no-install-recommends" not in a and "APT::Install-Recommends=false" not in
               " ".join(a) for a in apt):
            hits.append(("PL108", "apt-get install without --no-install-recommends"))
        if any(not any(_YES.match(w) for w in a) for a in apt):
            hits.append(("PL109", "apt-get install without -y"))
        unpinned = [p for a in apt for p in packages(a, "install")
                    if "=" not in p and not p.endswith(".deb") and "/" not in p]
        if unpinned:
            hits.append(("PL122", f"apt-get install {' '.join(unpinned)}: no =VERSION"))
    for prog, args in progs:
        if prog == "apk" and "add" in args:
            if shipped and "--no-cache" not in args and "/var/cache/apk" not in text + cache:
                hits.append(("PL106", "apk add without --no-cache"))
            loose = [p for p in packages(args, "add") if "=" not in p and not p.startswith(".")]
            if loose:
                hits.append(("PL122", f"apk add {' '.join(loose)}: no =VERSION"))
        elif prog in ("pip", "pip3") and "install" in args:
            if shipped and "--no-cache-dir" not in args and "PIP_NO_CACHE_DIR" not in text \
                    and "/.cache/pip" not in cache:
                hits.append(("PL107", "pip install without --no-cache-dir"))
            loose = [p for p in packages(args, "install")
                     if not _PIN.search(p) and not p.startswith((".", "/"))
                     and not p.endswith((".whl", ".tar.gz", ".zip", ".txt"))]
            if loose and "-r" not in args and "--requirement" not in args:
                hits.append(("PL122", f"pip install {' '.join(loose)}: no ==VERSION"))
    yarn_install = any(p == "yarn" and (not a or a[0] == "install") for p, a in progs)
    if shipped and yarn_install and "yarn cache clean" not in text and "yarn" not in cache:
        hits.append(("PL107", "yarn install without yarn cache clean"))
    if shipped and any(p == "npm" and a[:1] in (["install"], ["i"], ["ci"]) for p, a in progs) \
            and "npm cache clean" not in text and "/.npm" not in cache:
        hits.append(("PL107", "npm install without npm cache clean --force"))
    if final:
        hits.extend(_build_in_final(progs, apt))
    if "cd" in names:
        hits.append(("PL118", "cd in RUN"))
    if "sudo" in (c[0] for c in cmds if c):
        hits.append(("PL119", "sudo in RUN"))
    if "apt" in names:
        hits.append(("PL120", "apt in RUN"))
    return hits


def _build_in_final(progs: list[tuple[str, list[str]]], apt: list[list[str]]) -> list[Hit]:
    hits: list[Hit] = []
    tools = sorted({p for a in apt for p in packages(a, "install") if p in BUILD_TOOLS}
                   | {p for prog, a in progs if prog == "apk" for p in packages(a, "add")
                      if p in BUILD_TOOLS})
    if tools:
        hits.append(("PL110", f"build tools installed in the final stage: {', '.join(tools)}"))
    for prog, args in progs:
        if prog == "npm" and args[:1] in (["install"], ["i"]):
            hits.append(("PL110", "npm install in the final stage installs dev dependencies"))
        elif prog == "npm" and args[:1] == ["ci"] and not (
                {"--only=production", "--production", "--omit=dev"} & set(args)):
            hits.append(("PL110", "npm ci without --only=production in the final stage"))
        if any(tuple([prog, *args[: len(s) - 1]]) == s for s in _BUILD_STEPS):
            hits.append(("PL110", f"a build step in the final stage: {prog} {' '.join(args)}"))
    return hits
