"""Whether what scripts/setup.sh installs is already installed, so that a re-run can skip pip and npm.

    python scripts/installed.py python   exit 0 if every pinned requirement (requirements.txt and the
                                         files it includes) is installed at its pinned version
    python scripts/installed.py npm      exit 0 if node_modules holds exactly the packages and
                                         versions of package-lock.json

Both compare what is installed with what is asked for (no time stamps): a changed pin, a package
removed by hand or a new lockfile all mean "not installed". Run by the virtualenv's Python.
"""

import json
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# name[extras]==version ; markers  (the only form the requirements files use: everything is pinned)
PIN = re.compile(r"^[A-Za-z0-9._-]+(?:\[[^\]]*\])?==[^\s;]+$")


def pins(path: Path) -> list[str]:
    found = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            found += pins(path.parent / line.split(None, 1)[1])
            continue
        if not PIN.match(line):
            raise ValueError(f"{path.name}: not an exact pin: {line}")
        found.append(line)
    return found


def python_installed() -> list[str]:
    """The pins not installed at their version, and the unmet dependencies (with extras) of those that are."""
    from packaging.requirements import Requirement  # pip's own parser; a fresh virtualenv may lack it

    missing = []
    todo = [Requirement(pin) for pin in pins(ROOT / "requirements.txt")]
    seen = set()
    while todo:
        requirement = todo.pop()
        key = (requirement.name.lower().replace("_", "-"), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or not requirement.specifier.contains(installed, prereleases=True):
            missing.append(f"{requirement} (installed: {installed})")
            continue
        for line in metadata.requires(requirement.name) or []:
            dependency = Requirement(line)
            environments = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
            if dependency.marker is None or any(dependency.marker.evaluate(env) for env in environments):
                todo.append(dependency)
    return missing


def npm_installed() -> list[str]:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    missing = []
    for path, entry in lock.get("packages", {}).items():
        if not path or entry.get("optional"):
            continue
        manifest = ROOT / path / "package.json"
        try:
            installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError):
            installed = None
        if installed != entry.get("version"):
            missing.append(f"{path}@{entry.get('version')} (installed: {installed})")
    return missing


def main(argv: list[str]) -> int:
    checks = {"python": python_installed, "npm": npm_installed}
    if len(argv) != 1 or argv[0] not in checks:
        print(f"usage: installed.py {'|'.join(checks)}", file=sys.stderr)
        return 2
    try:
        missing = checks[argv[0]]()
    except (ImportError, OSError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    for line in missing:
        print(f"missing: {line}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
