"""One Dockerfile linted end to end from a :class:`~pallet.lint.model.LintRequest`: the rules,
the inline ignores of its own lines, ``ignore`` and the threshold. palletd's
``POST /pallet/lint`` answers this; ``pallet build --check`` runs it on the CLI's side."""

from __future__ import annotations

from pallet.lint.dockerfile import lint_dockerfile, source_lines
from pallet.lint.model import LintRequest, Report
from pallet.lint.policy import Config, apply, check_threshold, expand_ids


def lint_request(req: LintRequest, config: Config | None = None) -> Report:
    expand_ids(req.ignore)  # bad ids and thresholds are refused before any work
    check_threshold(req.failure_threshold)
    found = lint_dockerfile(req.dockerfile, req.name, req.dockerignore)
    return apply(found, {req.name: source_lines(req.dockerfile)}, config or Config(),
                 req.ignore, req.failure_threshold)
