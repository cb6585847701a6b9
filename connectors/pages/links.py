"""Links the pages build from values people typed: safe schemes only, files at their tag.

A URL from a draft (documentation, support, logo, repository) becomes a link only when it
is http or https; anything else is shown as text. A finding's file and line link to that
line of the repository at the draft's tag on the hosts whose web address we know how to
build (GitHub, GitLab, Bitbucket), from an HTTPS or an SSH Git URL.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_SSH = re.compile(r"^(?:ssh://)?git@(?P<host>[A-Za-z0-9.-]+)[:/](?P<path>[^\s]+?)(?:\.git)?/?$")
_HOSTS = {
    "github.com": "{base}/blob/{tag}/{file}{anchor}",
    "gitlab.com": "{base}/-/blob/{tag}/{file}{anchor}",
    "bitbucket.org": "{base}/src/{tag}/{file}{anchor}",
}
_ANCHORS = {"github.com": "#L{line}", "gitlab.com": "#L{line}", "bitbucket.org": "#lines-{line}"}


def safe_url(value: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL with a host, else None (shown as text)."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return value.strip()


def _web_base(repository_url: str) -> tuple[str, str] | None:
    """(host, https://host/owner/repo) of a Git URL on a known host."""
    url = repository_url.strip()
    ssh = _SSH.match(url)
    if ssh:
        host, path = ssh["host"].lower(), ssh["path"]
    else:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            return None
        host, path = parts.hostname.lower(), parts.path.strip("/").removesuffix(".git")
    if host not in _HOSTS or path.count("/") < 1 or ".." in path:
        return None
    return host, f"https://{host}/{quote(path)}"


def source_url(
    repository_url: str | None, tag: str | None, file: str | None, line: int | None = None
) -> str | None:
    """The web page of ``file`` (at ``line``) in the repository at ``tag``, or None."""
    if not (repository_url and tag and file):
        return None
    known = _web_base(repository_url)
    if known is None:
        return None
    host, base = known
    anchor = _ANCHORS[host].format(line=line) if line else ""
    return _HOSTS[host].format(
        base=base, tag=quote(tag, safe=""), file=quote(file.lstrip("/")), anchor=anchor
    )
