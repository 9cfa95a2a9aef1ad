"""Where `qi login` keeps the service's address and the user's token: one JSON file, readable
by its owner alone (0600, in a 0700 folder), written whole or not at all.

The file is `QI_CREDENTIALS_FILE`, else `$XDG_CONFIG_HOME/qi/credentials.json`, else
`~/.config/qi/credentials.json`. Read from the environment alone, so commands that use it never
load the settings.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Credentials", "credentials_path", "forget", "load", "save"]


@dataclass(frozen=True)
class Credentials:
    url: str  # the API's base URL, e.g. http://127.0.0.1:8000
    token: str
    user: str  # who the token belongs to, as the service said when signing in
    role: str


def credentials_path() -> Path:
    named = os.environ.get("QI_CREDENTIALS_FILE")
    if named:
        return Path(named).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "qi" / "credentials.json"


def load() -> Credentials | None:
    """The stored credentials; None when nobody has signed in here (or the file is unusable)."""
    path = credentials_path()
    try:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PermissionError(f"{path} can be read by others than its owner; "
                                  "run `qi login` again")
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(**{k: str(data[k]) for k in ("url", "token", "user", "role")})
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None


def save(credentials: Credentials) -> Path:
    """Write the file (0600) through a temporary file and a rename: never half written, and
    never readable by anyone else, even for a moment."""
    path = credentials_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:  # mkstemp makes it 0600
            json.dump(asdict(credentials), file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def forget() -> bool:
    """Remove the file; False when there was none."""
    try:
        credentials_path().unlink()
    except FileNotFoundError:
        return False
    return True
