"""Image references, normalised as Docker does (distribution/reference).

``busybox`` -> ``docker.io/library/busybox:latest``; ``familiar()`` gives the
short form back (``busybox:latest``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pallet.errors import InvalidArgument

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_REFERENCE_RE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
_ANCHORED_TAG_RE = re.compile(rf"^{_TAG}$")
_HEX64_RE = re.compile(r"^[a-f0-9]{64}$")

INVALID = "invalid reference format"


@dataclass(frozen=True)
class Reference:
    """A normalised reference: ``domain/path[:tag][@digest]``."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """Repository name with domain: ``docker.io/library/busybox``."""
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        s = self.name
        if self.tag:
            s += f":{self.tag}"
        if self.digest:
            s += f"@{self.digest}"
        return s

    @property
    def familiar_name(self) -> str:
        if self.domain == DEFAULT_DOMAIN:
            path = self.path
            if path.startswith(OFFICIAL_PREFIX) and "/" not in path[len(OFFICIAL_PREFIX) :]:
                path = path[len(OFFICIAL_PREFIX) :]
            return path
        return self.name

    @property
    def familiar(self) -> str:
        s = self.familiar_name
        if self.tag:
            s += f":{self.tag}"
        if self.digest:
            s += f"@{self.digest}"
        return s

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag, None)

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, None, digest)


def _split_domain(name: str) -> tuple[str, str]:
    i = name.find("/")
    if i == -1 or (
        not any(c in name[:i] for c in ".:")
        and name[:i] != "localhost"
        and name[:i].lower() == name[:i]
    ):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = name[:i], name[i + 1 :]
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder


def parse(ref: str, *, default_tag: bool = True) -> Reference:
    """Parse and normalise; adds ``:latest`` when neither tag nor digest is given.

    Raises InvalidArgument with Docker's wording on malformed input.
    """
    if not ref:
        raise InvalidArgument(INVALID)
    if _HEX64_RE.match(ref):
        raise InvalidArgument(
            f"invalid repository name ({ref}), cannot specify 64-byte hexadecimal strings"
        )
    m = _REFERENCE_RE.match(ref)
    if not m:
        if _REFERENCE_RE.match(ref.lower()):
            raise InvalidArgument(f"{INVALID}: repository name ({ref}) must be lowercase")
        raise InvalidArgument(INVALID)
    name, tag, digest = m.group(1), m.group(2), m.group(3)
    if len(name) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidArgument(f"{INVALID}: repository name must not be more than 255 characters")
    domain, path = _split_domain(name)
    if path.lower() != path:
        raise InvalidArgument(f"{INVALID}: repository name ({path}) must be lowercase")
    if digest is not None and not digest.startswith("sha256:"):
        raise InvalidArgument(f"{INVALID}: unsupported digest algorithm")
    if digest is not None and len(digest) != 71:
        raise InvalidArgument(f"{INVALID}: invalid checksum digest length")
    if tag is None and digest is None and default_tag:
        tag = DEFAULT_TAG
    return Reference(domain, path, tag, digest)


def normalize(ref: str) -> str:
    """``busybox`` -> ``docker.io/library/busybox:latest``."""
    return str(parse(ref))


def familiar(ref: str) -> str:
    """Docker's short display form of a reference (``busybox:latest``)."""
    return parse(ref, default_tag=False).familiar


def build_tag(ref: str) -> str:
    """A ``build -t`` value, checked before anything is built (dockerd's sanitizeRepoAndTags):
    a valid reference without a digest."""
    if parse(ref).digest is not None:
        raise InvalidArgument("build tag cannot contain a digest")
    return ref


def is_valid_tag(tag: str) -> bool:
    return bool(_ANCHORED_TAG_RE.match(tag))


def with_tag(repo: str, tag: str | None) -> Reference:
    """``repo`` plus ``tag`` (e.g. from ``?repo=x&tag=y``); the tag may be empty."""
    r = parse(repo, default_tag=False)
    if tag:
        if r.tag or r.digest:
            raise InvalidArgument(INVALID)
        if tag.startswith("sha256:"):
            return r.with_digest(tag)
        if not is_valid_tag(tag):
            raise InvalidArgument(f"{INVALID}: invalid tag {tag!r}")
        return r.with_tag(tag)
    if r.tag is None and r.digest is None:
        return r.with_tag(DEFAULT_TAG)
    return r


parse_reference = parse
