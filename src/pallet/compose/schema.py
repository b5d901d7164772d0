"""Validation of a compose document against the official compose-spec JSON schema.

The schema is ``compose-spec.json`` beside this module: the file
``schema/compose-spec.json`` of the compose-spec repository (commit a08f8d51), shipped as
package data and read unchanged. No package on PyPI ships it: ``compose-spec`` (0.2.1) is
Rust bindings without the JSON, ``compose-pydantic`` and ``compose-viz`` carry models of
their own, and ``docker-compose`` 1.29 ships a 2021 draft of it with dependencies that
conflict with docker-py 7. Validation uses ``jsonschema``'s Draft 7 validator (the schema's
``$schema``), imported only when a document is not already known valid
(:mod:`pallet.compose.loadcache`). The first error is reported as Compose v2 words it,
with the ``file:line`` of the offending key: ``compose.yaml:3: services.web.imagee:
additional property 'imagee' not allowed``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from functools import cache
from typing import Any

from pallet.compose import loadcache
from pallet.compose.errors import ComposeError
from pallet.compose.yamlsrc import Marks, Path, strip

TYPE_CHECKING = False
if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "compose-spec.json")


def _quiet_import() -> None:
    """Import jsonschema without its IRI format checker's grammar.

    When ``rfc3987_syntax`` is installed (``cyclonedx-python-lib[json-validation]``, which
    ``pallet scan`` uses, brings it in through ``jsonschema[format-nongpl]``), importing
    jsonschema imports it, and that builds 38 lark grammars: about 1.4 s of CPU on every
    compose command that validates. Formats are not asserted here (no FormatChecker), so
    the checker it feeds is never used by this process's validation: it is kept out.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import jsonschema  # noqa: F401


@cache
def _validator() -> jsonschema.Draft7Validator:
    _quiet_import()
    import jsonschema

    with open(SCHEMA_FILE, encoding="utf-8") as f:
        schema = json.load(f)
    return jsonschema.Draft7Validator(schema)


def validate(doc: Any, marks: Marks, prefix: Path = ()) -> None:
    """Raise :class:`ComposeError` for the first way ``doc`` breaks the schema."""
    plain = strip(doc)
    known = loadcache.key(plain, SCHEMA_FILE)
    if loadcache.seen(known):
        return
    _quiet_import()
    from jsonschema.exceptions import best_match

    err = best_match(_validator().iter_errors(plain))
    if err is None:
        loadcache.remember(known)
        return
    path: Path = tuple(err.absolute_path)
    message, path = _describe(err, path)
    where = marks.where(prefix + path)
    label = ".".join(str(p) for p in path) or "(root)"
    raise ComposeError(f"{label}: {message}", where)


def _describe(err: ValidationError, path: Path) -> tuple[str, Path]:
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        schema = err.schema if isinstance(err.schema, dict) else {}
        known = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        extra = [k for k in err.instance if k not in known
                 and not any(re.search(p, k) for p in patterns)]
        if extra:
            return f"additional property '{extra[0]}' not allowed", (*path, extra[0])
    if err.validator == "type":
        wanted = err.validator_value
        names = wanted if isinstance(wanted, list) else [wanted]
        words = {"object": "mapping", "array": "list"}
        return f"must be a {' or '.join(words.get(str(n), str(n)) for n in names)}", path
    if err.validator == "required":
        return err.message.replace("is a required property", "is required"), path
    if err.validator in ("oneOf", "anyOf"):
        return "does not match any of the allowed forms", path
    if err.validator == "enum":
        values: Any = err.validator_value
        allowed = ", ".join(repr(v) for v in values)
        return f"must be one of {allowed}", path
    if err.validator == "uniqueItems":
        return "has duplicate items", path
    if err.validator == "patternProperties" or err.validator == "propertyNames":
        return f"invalid key: {err.message}", path
    return err.message, path
