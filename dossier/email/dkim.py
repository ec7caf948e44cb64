"""DKIM and ARC verification offline, against keys the user supplies.

There is no DNS at run time (DESIGN rule 7), and the keys of old mail are gone from DNS
anyway, so the public keys come from a key store file the user assembles (from DNS history
services, archived zone data, or the signer).

Key store format (UTF-8 text, one record per line)::

    # comments and blank lines are ignored
    selector._domainkey.domain<TAB>TXT record[<TAB>anything, ignored]

e.g. ``20120113._domainkey.gmail.com<TAB>k=rsa; p=MIIBIjAN...``. Names are case-insensitive and
may end with a dot. The TXT record may be pasted as dig prints it (``"v=DKIM1; k=rsa; " "p=..."``):
the quoted strings are joined. A first line starting with ``dns_name`` is a header and skipped,
so the corpus file ``fixtures/dkim/keys.tsv`` (columns dns_name, txt_record, verifies) loads as is.
Every key is parsed at load time, so a broken one is reported with its line number up front.

Statuses, per signature and overall:

* ``pass``     the signature verifies with the key from the store
* ``fail``     the key is there and the bytes do not match (altered message, or broken signing)
* ``no-key``   the store has no key for this selector and domain: supply it to check
* ``error``    the signature header or message is malformed (cannot be checked at all)
* ``unsigned`` (overall only) the message has no DKIM-Signature

Overall: ``pass`` if any signature passes; otherwise the first of fail, no-key, error that any
signature has (a mismatch says the most, a missing key is something the user can fix).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dossier.errors import InputError, UnreadableInput

Status = Literal["pass", "fail", "no-key", "unsigned", "error"]
ArcStatus = Literal["pass", "fail", "none", "no-key"]

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_NAME = re.compile(r"^[A-Za-z0-9_.-]+\._domainkey\.[A-Za-z0-9_.-]+$")
# dkimpy logs every failure at error level; a verification result is not a program error.
_QUIET = logging.getLogger("dossier.dkim.quiet")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def _dkimpy() -> Any:
    """dkimpy, loaded when a key store is used: with dnspython it takes a twenty-fifth of a
    second to import, which every command would pay otherwise."""
    import dkim  # type: ignore[import-untyped, unused-ignore]

    return dkim


@dataclass(frozen=True, slots=True)
class KeyStore:
    """DKIM public key TXT records by DNS name (lowercase, no trailing dot)."""

    records: Mapping[str, str]

    def lookup(self, name: str) -> str | None:
        return self.records.get(name.lower().rstrip("."))

    def __len__(self) -> int:
        return len(self.records)


@dataclass(frozen=True, slots=True)
class SignatureResult:
    status: Status  # never "unsigned"
    domain: str  # d= ("" when the header could not be read)
    selector: str  # s=
    detail: str


@dataclass(frozen=True, slots=True)
class DkimResult:
    status: Status  # overall, see the module docstring
    domain: str  # of the signature that decided the status
    selector: str
    detail: str
    signatures: tuple[SignatureResult, ...] = ()  # each DKIM-Signature, top to bottom
    arc: ArcStatus = "none"
    arc_detail: str = ""


def load_keys(path: str | Path) -> KeyStore:
    """Read a key store file; a malformed line is an InputError naming the file and line."""
    where = Path(path)
    try:
        text = where.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInput(
            f"Cannot read the DKIM key store {where}: {exc}",
            "Give a UTF-8 text file with one 'selector._domainkey.domain<TAB>TXT record' a line.",
        ) from exc
    return parse_keys(text, str(where))


def parse_keys(text: str, origin: str = "key store") -> KeyStore:
    records: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if number == 1 and stripped.lower().startswith("dns_name"):
            continue  # the header row of a .tsv
        name, record = _parse_line(line, f"{origin}, line {number}")
        if records.get(name, record) != record:
            raise _bad(f"{origin}, line {number}", f"a second, different key for {name}")
        records[name] = record
    return KeyStore(records)


def _parse_line(line: str, where: str) -> tuple[str, str]:
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) < 2 or not fields[1].strip():
        raise _bad(where, "expected a DNS name, a tab, then the TXT record")
    name = fields[0].strip().lower().rstrip(".")
    if not _NAME.match(name):
        raise _bad(where, f"{fields[0].strip()!r} is not of the form selector._domainkey.domain")
    record = _unquote(fields[1].strip())
    try:
        _dkimpy().evaluate_pk(name.encode("ascii"), record.encode("ascii"))
    except Exception as exc:  # dkimpy raises several kinds for a bad key; all mean the same
        raise _bad(where, f"the key for {name} cannot be used ({exc})") from exc
    return name, record


def _unquote(record: str) -> str:
    if not record.startswith('"'):
        return record
    return "".join(part.replace('\\"', '"') for part in _QUOTED.findall(record))


def _bad(where: str, what: str) -> InputError:
    return InputError(
        f"Malformed DKIM key store ({where}): {what}.",
        "Each line is 'selector._domainkey.domain', a tab, then the TXT record"
        " (v=DKIM1; k=...; p=...).",
    )


def verify(raw: bytes, keys: KeyStore) -> DkimResult:
    """Check every DKIM signature (and the ARC chain) of one message. Never raises."""
    lookups = _Lookups(keys)
    try:
        signer = _dkimpy().DKIM(raw, logger=_QUIET)
        count = sum(1 for name, _ in signer.headers if name.lower() == b"dkim-signature")
    except Exception as exc:  # hostile input can break the parser in many ways
        return DkimResult("error", "", "", f"The message could not be parsed for DKIM: {exc}.")
    results = tuple(_check(signer, index, lookups) for index in range(count))
    arc, arc_detail = _check_arc(raw, lookups)
    return _overall(results, arc, arc_detail)


class _Lookups:
    """The dnsfunc handed to dkimpy: answers from the key store and remembers the misses."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self.missing: set[str] = set()

    def __call__(self, name: bytes, timeout: int = 5) -> bytes | None:
        text = name.decode("ascii", "replace")
        record = self.keys.lookup(text)
        if record is None:
            self.missing.add(text.lower().rstrip("."))
            return None
        return record.encode("ascii")


def _check(signer: Any, index: int, lookups: _Lookups) -> SignatureResult:
    try:
        prepared = signer.verify_headerprep(index)
    except Exception as exc:
        return SignatureResult("error", "", "", f"Signature {index + 1} is malformed: {exc}.")
    sig, include_headers, headers = prepared
    domain = _text(sig.get(b"d", b""))
    selector = _text(sig.get(b"s", b""))
    name = f"{selector}._domainkey.{domain}".lower()
    try:
        valid = signer.verify_sig(sig, include_headers, headers[index], lookups)
    except Exception as exc:  # body hash mismatch, key too small, unknown key type
        return SignatureResult("fail", domain, selector, f"Signature by {domain} fails: {exc}.")
    if valid:
        return SignatureResult("pass", domain, selector, f"Signature by {domain} verifies.")
    if name in lookups.missing:
        detail = f"No key for {name} in the key store; add its TXT record to check it."
        return SignatureResult("no-key", domain, selector, detail)
    detail = f"Signature by {domain} does not match the message with key {selector}."
    return SignatureResult("fail", domain, selector, detail)


def _check_arc(raw: bytes, lookups: _Lookups) -> tuple[ArcStatus, str]:
    before = set(lookups.missing)
    try:
        cv, _, reason = _dkimpy().arc_verify(raw, logger=_QUIET, dnsfunc=lookups)
    except Exception as exc:
        return "fail", f"The ARC chain could not be checked: {exc}."
    if cv == b"pass":
        return "pass", "The ARC chain verifies."
    if cv == b"none" or (cv is None and "not ARC signed" in str(reason)):
        return "none", "No ARC set."
    if lookups.missing - before:
        names = ", ".join(sorted(lookups.missing - before))
        return "no-key", f"No key in the key store for {names}; add it to check the ARC chain."
    return "fail", f"The ARC chain does not verify: {_text(reason)}."


_PRIORITY: tuple[Status, ...] = ("pass", "fail", "no-key", "error")


def _overall(results: tuple[SignatureResult, ...], arc: ArcStatus, arc_detail: str) -> DkimResult:
    if not results:
        return DkimResult(
            "unsigned", "", "", "The message has no DKIM signature.", (), arc, arc_detail
        )
    decider = min(results, key=lambda r: _PRIORITY.index(r.status))
    return DkimResult(
        decider.status, decider.domain, decider.selector, decider.detail, results, arc, arc_detail
    )


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
