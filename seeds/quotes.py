"""Provenance checks: a quote must occur in its source document, whitespace aside."""

import re
from functools import cache
from pathlib import Path

DOCUMENTS_DIR = Path(__file__).resolve().parent / "documents"
_SPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    return _SPACE.sub("", text)


@cache
def document_text(stem: str) -> str:
    """The whitespace-free text of a source document, by its file stem."""
    return squeeze((DOCUMENTS_DIR / f"{stem}.txt").read_text(encoding="utf-8"))


def quote_occurs(stem: str, quote: str) -> bool:
    return bool(squeeze(quote)) and squeeze(quote) in document_text(stem)


def document_stems() -> list[str]:
    return sorted(p.stem for p in DOCUMENTS_DIR.glob("*.txt"))
