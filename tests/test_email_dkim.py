"""Offline DKIM/ARC: dkimpy's own fixtures with their keys, a tampered copy, a bad key store."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from dossier.email.dkim import KeyStore, load_keys, parse_keys, verify
from dossier.errors import DossierError
from tests.conftest import corpora


def _corpus() -> Path:
    return corpora() / "email"


CORPUS = _corpus()
DKIM_DIR = CORPUS / "fixtures" / "dkim"
pytestmark = pytest.mark.skipif(
    not DKIM_DIR.is_dir(), reason=f"email corpus not found at {CORPUS} (set DOSSIER_CORPORA)"
)


@pytest.fixture(scope="module")
def keys() -> KeyStore:
    return load_keys(DKIM_DIR / "keys.tsv")


def _raw(name: str) -> bytes:
    return (DKIM_DIR / name).read_bytes()


def test_corpus_key_store_loads_as_is(keys: KeyStore) -> None:
    assert len(keys) == 4
    assert keys.lookup("20120113._domainkey.GMAIL.com.") is not None


@pytest.mark.parametrize(
    ("name", "domain"),
    [
        ("rfc6376.signed.rsa.msg", "football.example.com"),  # rsa-sha256
        ("rfc6376.signed.msg", "football.example.com"),  # ed25519 and rsa signatures
        ("test2.message", "gmail.com"),  # a real gmail.com signature from 2012
        ("ed25519test2.msg", "test.ex"),  # Exim's ed25519 test key
    ],
)
def test_signed_fixtures_pass(keys: KeyStore, name: str, domain: str) -> None:
    result = verify(_raw(name), keys)
    assert result.status == "pass", result.detail
    assert result.domain == domain
    assert all(s.status == "pass" for s in result.signatures)
    assert result.arc == "none"


def test_both_signatures_are_reported(keys: KeyStore) -> None:
    result = verify(_raw("rfc6376.signed.msg"), keys)
    assert [s.selector for s in result.signatures] == ["brisbane", "test"]


def test_no_t_fixture_fails(keys: KeyStore) -> None:
    # dkimpy's own test expects this one not to verify (MANIFEST: "expected fail").
    result = verify(_raw("rfc6376.signed.no_t.msg"), keys)
    assert result.status == "fail"
    assert "football.example.com" in result.detail


def test_signature_without_a_supplied_key_is_no_key(keys: KeyStore) -> None:
    result = verify(_raw("message.mbox"), keys)
    assert result.status == "no-key"
    assert result.domain == "kitterman.com"
    assert "2007-00._domainkey.kitterman.com" in result.detail


def test_malformed_domain_is_an_error(keys: KeyStore) -> None:
    # d=legitimate.com(.attacker.com: the signature is rejected before any key is looked up,
    # so it is "error" (cannot be checked), not "fail" (checked and did not match).
    result = verify(_raw("test.message.baddomain"), keys)
    assert result.status == "error"
    assert "d= value is not valid" in result.detail


def test_unsigned_message(keys: KeyStore) -> None:
    result = verify(_raw("rfc6376.w1258.msg"), keys)
    assert result.status == "unsigned"
    assert result.signatures == ()


def test_one_changed_body_byte_fails(keys: KeyStore) -> None:
    raw = _raw("test2.message")
    body = raw.index(b"\n\n") + 2 if b"\r\n\r\n" not in raw else raw.index(b"\r\n\r\n") + 4
    position = next(i for i in range(body, len(raw)) if raw[i : i + 1].isalpha())
    changed = bytearray(raw)
    changed[position] ^= 0x20  # flip the letter's case
    result = verify(bytes(changed), keys)
    assert result.status == "fail"
    assert "body hash" in result.detail


def test_garbage_never_raises(keys: KeyStore) -> None:
    for raw in (b"", b"\x00\xff garbage", b"DKIM-Signature: v=1; a=\r\n\r\nbody\r\n"):
        assert verify(raw, keys).status in {"unsigned", "error"}


def test_garbage_key_store_line_is_a_clear_error(tmp_path: Path) -> None:
    good = "test._domainkey.example.com\tv=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDk"
    store = tmp_path / "keys.tsv"
    store.write_text("# my keys\n\nthis is not a key line\n", encoding="utf-8")
    with pytest.raises(DossierError, match=r"line 3"):
        load_keys(store)
    with pytest.raises(DossierError, match=r"line 1.*cannot be used"):
        parse_keys(good + "\n")  # the key is cut short


def test_key_pasted_as_dig_prints_it(keys: KeyStore) -> None:
    record = keys.lookup("20120113._domainkey.gmail.com") or ""
    quoted = " ".join(f'"{record[i : i + 200]}"' for i in range(0, len(record), 200))
    store = parse_keys(f"20120113._domainkey.gmail.com.\t{quoted}\n")
    assert verify(_raw("test2.message"), store).status == "pass"


def test_missing_key_store_file(tmp_path: Path) -> None:
    with pytest.raises(DossierError, match="Cannot read the DKIM key store"):
        load_keys(tmp_path / "absent.tsv")


def test_linux_mips_signed_message_has_no_key(keys: KeyStore) -> None:
    box = mailbox.mbox(CORPUS / "mailing-list" / "linux-mips-2019q4.mbox", create=False)
    signed = next(
        key for key in box.iterkeys() if b"\nDKIM-Signature:" in box.get_bytes(key)[:20000]
    )
    result = verify(box.get_bytes(signed), keys)
    assert result.status == "no-key"
    assert result.domain
