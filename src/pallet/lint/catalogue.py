"""Every rule pallet lint knows: its stable id, severity, reason, fix and hadolint twins.

Ids never change meaning: PL1xx read a Dockerfile, PL2xx a compose file. ``guide`` names
the section of the user guide whose anti-pattern the rule is; rules without one are the
hadolint rules pallet also covers (README: "pallet lint").
"""

from __future__ import annotations

from pallet.lint.model import Rule

_IMG = "Image Building Pitfalls"
_SEC = "Security Checklist"
_RUN = "Container Execution Pitfalls"
_NET = "Networking Pitfalls"
_OPT = "Image Optimization Checklist"

_RULES = (
    # ---- Dockerfile ------------------------------------------------------------------------
    Rule("PL101", "warning", "base image has no tag: it changes under you",
         "pin a version: FROM node:20-alpine3.18 (or an @sha256 digest)", ("DL3006",), _SEC),
    Rule("PL102", "warning", "base image uses :latest: builds are not reproducible",
         "pin a release tag instead of latest", ("DL3007",), _SEC),
    Rule("PL103", "warning", "the final stage runs as root",
         "create a user (adduser -S appuser -u 1001) and end with USER appuser",
         ("DL3002",), _RUN),
    Rule("PL104", "warning", "shell-form CMD/ENTRYPOINT: /bin/sh is PID 1 and eats SIGTERM",
         'use the exec form: CMD ["node", "server.js"]', ("DL3025",), _SEC),
    Rule("PL105", "info", "apt lists left in the layer (clean in the same RUN)",
         "end the RUN with && rm -rf /var/lib/apt/lists/*", ("DL3009",), _IMG),
    Rule("PL106", "info", "apk cache left in the layer",
         "use apk add --no-cache", ("DL3019",), _IMG),
    Rule("PL107", "info", "package manager cache left in the layer (npm/yarn/pip)",
         "npm cache clean --force / yarn cache clean / pip install --no-cache-dir in the same RUN",
         ("DL3060", "DL3042"), _IMG),
    Rule("PL108", "info", "apt-get install without --no-install-recommends pulls extra packages",
         "apt-get install -y --no-install-recommends PKG", ("DL3015",), _OPT),
    Rule("PL109", "warning", "apt-get install without -y waits for input and fails the build",
         "apt-get install -y PKG", ("DL3014",), _IMG),
    Rule("PL110", "warning", "build tools or a dev install in the final stage ship to production",
         "build in a first stage (FROM ... AS builder) and COPY --from=builder only the output; "
         "install with npm ci --only=production", (), _IMG),
    Rule("PL111", "warning", "COPY . . without a .dockerignore excluding .git and node_modules",
         "copy only what the image needs (COPY package*.json ./, COPY src ./src) or add "
         ".git and node_modules to .dockerignore", (), _IMG),
    Rule("PL112", "error", "a secret in ENV or ARG is baked into the image",
         "pass it at run time (a secret file, RUN --mount=type=secret)", ("DL3064",), _SEC),
    Rule("PL113", "info", "no HEALTHCHECK: the engine cannot tell a hung app from a live one",
         "HEALTHCHECK --interval=30s --timeout=3s CMD wget -q --spider http://localhost/health "
         "|| exit 1", (), _RUN),
    Rule("PL114", "error", "ADD where COPY serves (ADD fetches URLs and unpacks archives)",
         "use COPY for files and folders", ("DL3020",), _SEC),
    Rule("PL115", "info", "no version/maintainer labels",
         'LABEL maintainer="team@example.com" version="1.0.0"', (), _OPT),
    Rule("PL116", "error", "MAINTAINER is deprecated", 'use LABEL maintainer="..."',
         ("DL4000",)),
    Rule("PL117", "error", "relative WORKDIR depends on the previous one", "use an absolute path",
         ("DL3000",)),
    Rule("PL118", "warning", "cd in RUN: the directory does not carry to the next step",
         "use WORKDIR", ("DL3003",)),
    Rule("PL119", "error", "sudo in RUN", "RUN already runs as root; use USER or gosu",
         ("DL3004",)),
    Rule("PL120", "warning", "apt is an interactive tool", "use apt-get or apt-cache",
         ("DL3027",)),
    Rule("PL121", "info", "consecutive RUN instructions add layers", "join them with &&",
         ("DL3059",)),
    Rule("PL122", "warning", "package versions not pinned", "pin PKG=VERSION (pip: PKG==VERSION)",
         ("DL3008", "DL3018", "DL3013")),
    Rule("PL123", "error", "more than one CMD or ENTRYPOINT: only the last counts",
         "keep one", ("DL4003", "DL4004")),
    Rule("PL124", "error", "stage alias defined twice", "give each FROM ... AS a unique name",
         ("DL3024",)),
    Rule("PL125", "info", "USER by name: the host and Kubernetes' runAsNonRoot cannot check it",
         "use a numeric uid (USER 10001) or uid:gid", ("DL3066",)),
    Rule("PL126", "warning", "COPY to a relative destination without WORKDIR",
         "set WORKDIR first or copy to an absolute path", ("DL3045",)),
    # ---- compose ---------------------------------------------------------------------------
    Rule("PL201", "warning", "image without a tag or with :latest",
         "pin a release tag: image: myapp:1.0.0", (), _SEC),
    Rule("PL202", "warning", "a debug port is published",
         "publish only the ports clients need; drop the debugger's port", (), _NET),
    Rule("PL203", "warning", "a database publishes its port to the host",
         "drop ports: and reach it by service name on a project network", (), _NET),
    Rule("PL204", "info", "service on the default network only",
         "declare networks: (e.g. backend) and attach each service to the ones it needs",
         (), _NET),
    Rule("PL205", "warning", "no resource limits: one service can starve the host",
         "deploy.resources.limits: {memory: 512M, cpus: '0.5'} (or mem_limit, cpus)", (), _RUN),
    Rule("PL206", "info", "no healthcheck", "healthcheck: {test: [CMD, ...], interval: 30s}",
         (), _RUN),
    Rule("PL207", "error", "a secret in environment:",
         "use secrets: and read /run/secrets/NAME (VAR_FILE=/run/secrets/NAME)", (), _SEC),
    Rule("PL208", "error", "privileged: true gives the container the host",
         "remove privileged; add the one capability it needs with cap_add", (), _SEC),
    Rule("PL209", "warning", "an internet-facing service without read_only, cap_drop ALL and "
         "no-new-privileges", "read_only: true, cap_drop: [ALL], "
         "security_opt: [no-new-privileges:true]", (), _SEC),
    Rule("PL210", "warning", "service runs as root", 'user: "10001"', (), _RUN),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULES}
