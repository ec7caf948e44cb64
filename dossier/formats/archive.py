"""Zip archives, read without trusting them.

Members are read as streams and never written to disk under their own names, but their names
are still checked: a path that climbs out (``../``), an absolute path, or a device name is a
sign of a crafted archive and is reported. Sizes are bounded and the compression ratio is
checked before a byte is inflated, so a zip bomb is refused instead of filling the disk or
memory. zipfile itself stops at the declared size and checks the CRC, so a member that lies
about its size fails rather than inflating further.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from dossier.errors import UnreadableInput, UnsafeArchive

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

# Bounds. A WhatsApp export with video can hold multi-GB members; a bomb inflates kilobytes
# into gigabytes. These are module constants so tests can lower them.
MAX_MEMBER_BYTES = 8 * 1024**3
MAX_TOTAL_BYTES = 64 * 1024**3
MAX_MEMBERS = 200_000
MAX_RATIO = 200  # uncompressed / compressed, above which a big member is a bomb
RATIO_FLOOR_BYTES = 10 * 1024**2  # small members may compress well (text); ignore ratio below


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGICS)


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # the path inside the archive, as stored
    size: int
    info: zipfile.ZipInfo

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name.replace("\\", "/")).name


@dataclass(frozen=True, slots=True)
class RejectedMember:
    name: str
    reason: str


def unsafe_name_reason(name: str) -> str | None:
    """Why a member name is not safe to use as a path, or None if it is."""
    if "\x00" in name:
        return "its name contains a NUL character"
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        return "its name is an absolute path"
    if ".." in PurePosixPath(unified).parts:
        return "its name climbs out of the archive (../)"
    return None


class SafeZip:
    """Open an archive and list its members, sorting out the ones that may not be read."""

    def __init__(self, stream: BinaryIO, label: str) -> None:
        self.label = label
        try:
            self._zip = zipfile.ZipFile(stream)
        except zipfile.BadZipFile as exc:
            raise UnreadableInput(
                f"{label} is not a readable zip archive ({exc}); it may be truncated or damaged.",
                "copy the archive again from the original medium, or unpack it with another "
                "tool and ingest the folder",
            ) from None
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnsafeArchive(
                f"{label} holds {len(infos):,} members, more than the {MAX_MEMBERS:,} allowed.",
                "unpack it with another tool and ingest the folder",
            )
        declared = sum(i.file_size for i in infos)
        if declared > MAX_TOTAL_BYTES:
            raise UnsafeArchive(
                f"{label} would unpack to {declared:,} bytes, more than the limit of "
                f"{MAX_TOTAL_BYTES:,}: it looks like a zip bomb.",
                "check where the archive came from; it was not unpacked",
            )
        self._infos = infos

    def close(self) -> None:
        self._zip.close()

    def members(self) -> Iterator[Member | RejectedMember]:
        for info in self._infos:
            if info.is_dir():
                continue
            reason = self._rejection(info)
            if reason:
                yield RejectedMember(info.filename, reason)
            else:
                yield Member(info.filename, info.file_size, info)

    def _rejection(self, info: zipfile.ZipInfo) -> str | None:
        reason = unsafe_name_reason(info.filename)
        if reason:
            return reason
        if info.flag_bits & 0x1:
            return "it is encrypted (password-protected)"
        if info.file_size > MAX_MEMBER_BYTES:
            return f"it would unpack to {info.file_size:,} bytes, over the limit"
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            return (
                f"it inflates {info.compress_size:,} bytes into {info.file_size:,} "
                f"(ratio over {MAX_RATIO}): a zip bomb"
            )
        return None

    def open(self, member: Member) -> BinaryIO:
        try:
            stream: BinaryIO = self._zip.open(member.info)  # type: ignore[assignment]
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise UnreadableInput(
                f"{self.label}!/{member.name} cannot be read ({exc}).",
                "the archive may be damaged or use an unsupported compression",
            ) from None
        return stream
