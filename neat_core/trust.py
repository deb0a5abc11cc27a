"""Which checkpoints this user's NEAT wrote: a seal over a checkpoint's config.

A checkpoint is untrusted input: anyone can hand one over and recompute its checksums.
So its config may name the model and the schedule, but not which local files NEAT reads
or where it writes -- unless this user's own NEAT wrote it, recording what the user
named. ``save_checkpoint`` seals the config with an HMAC-SHA256 under a key that only
this user can read (``$XDG_CONFIG_HOME/neat/checkpoint-key``, else
``~/.config/neat/checkpoint-key``: 32 random bytes, mode 0600, made on first use); a
checkpoint whose seal does not verify under that key (another user's, another machine's,
an edited one, one from before seals) is foreign. This is how Jupyter trusts the
notebooks a user wrote. Without a usable key (an unwritable home) nothing is trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from contextlib import suppress
from pathlib import Path
from typing import Any

from .files import make_private_dir

log = logging.getLogger("neat.checkpoint")

KEY_BYTES = 32


def key_path() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "neat" / "checkpoint-key"


def _read_key(path: Path) -> bytes | None:
    """The key, if it is this user's alone (a key others can read or write seals
    nothing)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        key = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    owner = getattr(os, "getuid", lambda: info.st_uid)()
    if info.st_uid != owner or stat.S_IMODE(info.st_mode) & 0o077 or len(key) != KEY_BYTES:
        log.warning("ignoring %s: it must be %d bytes readable by its owner only",
                    path, KEY_BYTES)
        return None
    return key


def _key(create: bool) -> bytes | None:
    path = key_path()
    key = _read_key(path)
    if key is not None or not create:
        return key
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    try:
        make_private_dir(path.parent)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        with suppress(FileExistsError):  # another process made it first: use theirs
            os.link(temporary, path)
    except OSError as error:
        log.debug("cannot make the checkpoint key %s: %s", path, error)
        return None
    finally:
        with suppress(OSError):
            os.unlink(temporary)
    return _read_key(path)


def seal(data: bytes) -> str | None:
    """The seal of ``data`` (a checkpoint's config.json) under this user's key."""
    key = _key(create=True)
    return None if key is None else hmac.new(key, data, hashlib.sha256).hexdigest()


def sealed_by_user(data: bytes, value: Any) -> bool:
    """Whether ``value`` is this user's seal of ``data``."""
    key = _key(create=False)
    if key is None or not isinstance(value, str) or not value.isascii():
        return False  # (compare_digest refuses non-ASCII text: a forged seal's, say)
    return hmac.compare_digest(hmac.new(key, data, hashlib.sha256).hexdigest(), value)
