"""Manifests as YAML: one multi-document stream (stdout or ``-o FILE``) or one file per
object (``-o DIR/``: ``KIND-NAME.yaml``), and the reverse for ``pallet kube play``.

Documents are written without YAML anchors (a structure used twice is written twice) so any
Kubernetes tool reads them; files are written whole (temporary file, rename).
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from pallet.errors import InvalidArgument
from pallet.kube.podspec import Obj


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(objects: list[Obj]) -> str:
    return yaml.dump_all(objects, Dumper=_Dumper, sort_keys=False, default_flow_style=False)


def write(objects: list[Obj], output: str) -> list[str]:
    """Write to ``output`` (a directory when it ends in ``/`` or is one); the paths written."""
    if output.endswith("/") or os.path.isdir(output):
        try:
            os.makedirs(output, exist_ok=True)
        except OSError as err:
            raise InvalidArgument(f"cannot make {output}: {err.strerror}") from None
        paths = []
        for obj in objects:
            name = f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
            paths.append(_atomic(os.path.join(output, name), dump([obj])))
        return paths
    return [_atomic(output, dump(objects))]


def _atomic(path: str, text: str) -> str:
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as err:
        raise InvalidArgument(f"cannot write {path}: {err.strerror}") from None
    return path


def load(path: str) -> list[Obj]:
    """Every object in a YAML file or a directory of them."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.endswith((".yaml", ".yml")))
        return [o for n in names for o in load(os.path.join(path, n))]
    try:
        with open(path, encoding="utf-8") as f:
            docs = list(yaml.safe_load_all(f))
    except OSError as err:
        raise InvalidArgument(f"{path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise InvalidArgument(f"{path}: not YAML: {err}") from None
    objects = [d for d in docs if d is not None]
    for d in objects:
        if not isinstance(d, dict) or "kind" not in d:
            raise InvalidArgument(f"{path}: a document is not a Kubernetes object")
    return objects
