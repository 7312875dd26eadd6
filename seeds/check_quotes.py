"""Standalone check that every `quote` in seeds/data/<stem>/*.yaml occurs in its document.

Usage: python seeds/check_quotes.py [STEM ...]
"""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from seeds.quotes import document_stems, quote_occurs  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def walk(node, path):
    if isinstance(node, dict):
        if "quote" in node:
            yield path, node["quote"]
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


def main(stems):
    bad = total = 0
    for stem in stems:
        for file in sorted((DATA / stem).glob("*.yaml")):
            for path, quote in walk(yaml.safe_load(file.read_text(encoding="utf-8")), file.name):
                total += 1
                if not isinstance(quote, str) or not quote_occurs(stem, quote):
                    bad += 1
                    print(f"{stem}/{path}: quote not found: {quote!r}")
    print(f"{total} quotes checked, {bad} not found")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or document_stems()))
