"""Does a variable look like a secret? By its name, or by its value's shape and entropy.

A name counts when a word of it is PASSWORD, SECRET, TOKEN, API_KEY... unless it ends in
``_FILE``/``_PATH``/``_DIR`` (the guide's ``DATABASE_PASSWORD_FILE=/run/secrets/x`` is the
fix, not the problem). A value counts when it starts like a known credential (``AKIA``,
``ghp_``, ``-----BEGIN``...) or is a long token of high Shannon entropy.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_NAME = re.compile(
    r"(^|_)(PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|APIKEY|API_KEY|ACCESS_KEY|PRIVATE_KEY|"
    r"SECRET_KEY|CREDENTIALS?|AUTH_KEY|CLIENT_SECRET)(_|$)"
)  # matched against the upper-cased name (IGNORECASE makes compiling it cost milliseconds)
_NOT_SECRET = re.compile(r"_(FILE|PATH|DIR|URL_FILE|LOCATION|LENGTH|POLICY)$")
_PREFIXES = ("AKIA", "ASIA", "ghp_", "gho_", "github_pat_", "glpat-", "xoxb-", "xoxp-",
             "sk_live_", "sk-", "-----BEGIN")
_TOKEN = re.compile(r"^[A-Za-z0-9+/=_\-]{20,}$")


def secret_name(name: str) -> bool:
    upper = name.upper()
    return bool(_NAME.search(upper)) and not _NOT_SECRET.search(upper)


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def secret_value(value: str) -> bool:
    if value.startswith(_PREFIXES):
        return True
    if "$" in value or ("/" in value.strip("/") and value.count("/") > 1):
        return False  # a variable reference or a path
    return bool(_TOKEN.match(value)) and entropy(value) >= 4.0 and _mixed(value)


def _mixed(value: str) -> bool:
    kinds = (any(c.islower() for c in value), any(c.isupper() for c in value),
             any(c.isdigit() for c in value))
    return sum(kinds) >= 2


def why_secret(name: str, value: str | None) -> str:
    """A short reason (``name`` / ``value``), or '' when it does not look like a secret."""
    if secret_name(name):
        return f"{name} is named like a secret"
    if value and secret_value(value):
        return f"the value of {name} looks like a credential"
    return ""
