"""Reading source files faithfully and writing fixed ones back safely.

A file is decoded the way Python decodes it (UTF-8, a UTF-8 byte-order mark, or a PEP 263
``# -*- coding: ... -*-`` cookie) and kept as text with its original line endings, so that
writing the fixed text back with the same encoding preserves the BOM, the encoding and
``\\n`` / ``\\r\\n`` endings. Writes are atomic: a temporary file in the same directory
replaces the original with ``os.replace`` and keeps its permission bits.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass


class SourceError(Exception):
    """The file cannot be read or decoded (reported as DLT000)."""


@dataclass(frozen=True)
class SourceText:
    """A decoded source file."""

    text: str
    encoding: str  # codec name used to decode, e.g. "utf-8", "utf-8-sig", "latin-1"


def content_hash(data: bytes) -> str:
    """Hash of a file's bytes (cache key)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_bytes(path: str) -> bytes:
    """The file's bytes; raises :class:`SourceError` with a one-line reason."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        if os.path.islink(path):
            raise SourceError("Failed to read file: broken symbolic link") from None
        raise SourceError("Failed to read file: no such file") from None
    except IsADirectoryError:
        raise SourceError("Failed to read file: is a directory") from None
    except OSError as exc:
        raise SourceError(f"Failed to read file: {exc.strerror or exc}") from None


def decode(data: bytes) -> SourceText:
    """Decode like the interpreter does; raises :class:`SourceError`."""
    if b"\x00" in data:
        raise SourceError("Failed to read file: binary file (contains NUL bytes)")
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
        # A cookie that contradicts the BOM is an error for Python too.
        try:
            tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            raise SourceError(f"Failed to decode file: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    elif b"coding" in b"\n".join(data.split(b"\n", 2)[:2]):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            raise SourceError(f"Failed to decode file: {getattr(exc, 'msg', None) or exc}") from None
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(f"Failed to decode file as {encoding}: {exc.reason} "
                          f"(byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    except LookupError:
        raise SourceError(f"Failed to decode file: unknown encoding {encoding!r}") from None
    return SourceText(text, encoding)


def encode(text: str, encoding: str) -> bytes:
    """Encode fixed text back with the file's encoding (the BOM comes back with utf-8-sig)."""
    return text.encode(encoding)


def write_atomic(path: str, data: bytes) -> None:
    """Replace the file at ``path`` (following a symlink to its target) with ``data`` in one
    step, keeping the permission bits."""
    target = os.path.realpath(path)
    directory = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".dlt-tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
