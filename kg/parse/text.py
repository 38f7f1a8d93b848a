"""Bytes and lines -> clean text: decoding, invisible and control characters, NFC.

The lowest module of :mod:`kg.parse`: everything else reads the text it gives.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kg.model import ParseFailure

#: Longest physical line the parser reads (real abstracts are < 4,000 characters).
#: Longer lines become a failure and are skipped, so a 5 MB line costs O(n) once.
MAX_LINE_CHARS = 65_536
#: Raw text kept in a failure record.
RAW_LIMIT = 200
#: Share of control / replacement characters above which text is "binary".
_BINARY_RATIO = 0.10

# C0 controls except TAB LF VT FF CR, DEL, C1 controls. VT/FF count as whitespace.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_NON_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
# Invisible characters that web copies carry; none of them is content.
_INVISIBLE_CHARS = ("\u200b", "\u2060", "\ufeff", "\u00ad")
_INVISIBLE = re.compile("[" + "".join(_INVISIBLE_CHARS) + "]")

_Line = tuple[int, str]  # (physical line number, stripped text; "" for a blank line)


def _raw(text: str) -> str:
    return text[:RAW_LIMIT]


def _clean(text: str) -> str:
    """Drop invisible characters (BOM, zero-width space, soft hyphen); none is content."""
    if not text.isascii() and any(ch in text for ch in _INVISIBLE_CHARS):
        text = _INVISIBLE.sub("", text)
    return text


def _nfc(text: str) -> str:
    """NFC for the short structural strings (title, names), so "Renée" is one spelling.

    Abstracts are kept verbatim; normalising a whole page costs more than parsing it.
    """
    return text if text.isascii() else unicodedata.normalize("NFC", text)


# Bytes that are C0 controls (other than TAB LF VT FF CR) or DEL; deleting all *other*
# bytes with bytes.translate leaves exactly those, at C speed.
_NOT_CONTROL_BYTES = bytes(
    c for c in range(256) if not ((c < 0x20 and c not in b"\t\n\x0b\x0c\r") or c == 0x7F)
)


def _has_control_bytes(data: bytes) -> bool:
    """Any control character in UTF-8/ASCII bytes? C1 controls are \\xc2\\x80-\\xc2\\x9f."""
    if data.translate(None, _NOT_CONTROL_BYTES):
        return True
    return b"\xc2" in data and _C1_UTF8.search(data) is not None


def _has_control(text: str) -> bool:
    if text.isascii():
        return _has_control_bytes(text.encode("ascii"))
    return _CONTROL.search(text) is not None


def _looks_binary(text: str) -> bool:
    """Whole-text test, for decoded bytes: NUL, or >= 10% control/replacement characters."""
    if "\x00" in text:
        return True
    bad = len(_NON_TEXT.findall(text))
    return bad > 0 and bad >= _BINARY_RATIO * len(text)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


@dataclass(frozen=True, slots=True)
class _Decoded:
    text: str | None
    encoding: str = ""
    notes: tuple[ParseFailure, ...] = ()  # non-fatal: the text is still parsed
    line: int = 1  # where decoding failed, when text is None
    reason: str = ""


def _decode(data: bytes, source: str) -> _Decoded:
    """Bytes -> text: UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252/Latin-1 if text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            return _Decoded(
                None,
                line=_line_of(data, exc.start),
                reason=f"undecodable bytes: UTF-16 byte order mark, but {exc.reason}",
            )
    if b"\x00" in data:
        return _Decoded(None, line=1, reason="binary file (NUL bytes), not a profile page")
    try:
        return _Decoded(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as exc:
        error = exc
    line = _line_of(data, error.start)
    if error.reason == "unexpected end of data" and error.end == len(data):
        # Cut inside the last character: keep what is there and say so.
        try:
            text = data[: error.start].decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        else:
            note = ParseFailure(
                source, line, "file ends in the middle of a UTF-8 character (file cut?)"
            )
            return _Decoded(text, "utf-8", (note,))
    replaced = data.decode("utf-8-sig", "replace")
    bad = replaced.count("\ufffd")
    multibyte = len(replaced) - len(replaced.encode("ascii", "ignore")) - bad
    if multibyte > bad:
        # Mostly UTF-8 with a few broken bytes: keep it, replacement characters and all.
        note = ParseFailure(
            source, line, f"invalid UTF-8: {bad} byte sequence(s) replaced by U+FFFD"
        )
        return _Decoded(replaced, "utf-8-replace", (note,))
    # Not UTF-8: a cp1252/Latin-1 page is kept as it is, if it then reads as text.
    try:
        text, encoding = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    if _looks_binary(text):
        return _Decoded(
            None,
            line=line,
            reason="undecodable bytes: not UTF-8, and not text in cp1252/Latin-1 either",
        )
    return _Decoded(text, encoding)
