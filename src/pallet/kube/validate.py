"""Offline validation of generated objects against Kubernetes' OpenAPI schemas.

The schemas are the ones the ``kubernetes-validate`` package ships (one set per
Kubernetes minor version, strict: an unknown field is an error). :func:`check` returns
one message per invalid object; ``pallet kube generate`` writes nothing when any is.
"""

from __future__ import annotations

from pallet.errors import InvalidArgument
from pallet.kube.podspec import Obj


def default_version() -> str:
    """The newest Kubernetes version whose schemas the installed package ships."""
    import kubernetes_validate

    return str(kubernetes_validate.latest_version())


def _minor(version: str) -> tuple[int, int]:
    major, _, rest = version.removeprefix("v").partition(".")
    minor = rest.partition(".")[0]
    if not (major.isdigit() and minor.isdigit()):
        raise InvalidArgument(f"--kube-version {version!r}: not a version like 1.30")
    return int(major), int(minor)


def _known(version: str) -> None:
    """InvalidArgument unless the package ships schemas for ``version``'s minor."""
    from kubernetes_validate import utils

    oldest = utils.all_versions()[0]
    if not _minor(oldest) <= _minor(version) <= _minor(default_version()):
        raise InvalidArgument(f"--kube-version {version}: no schemas for it (known: "
                              f"{oldest} to {default_version()})")


def check(objects: list[Obj], version: str) -> list[str]:
    """Problems with ``objects`` under Kubernetes ``version`` (empty: all valid)."""
    import kubernetes_validate

    _known(version)
    problems: list[str] = []
    for obj in objects:
        what = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as err:
            where = ".".join(str(p) for p in err.path) or "(root)"
            problems.append(f"{what}: {where}: {err.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{what}: Kubernetes {version} has no schema for "
                            f"{obj.get('apiVersion')} {obj.get('kind')}")
    return problems
