"""Copy the browser files of the npm dependencies into static/vendor/ (run after `npm ci`).

    npm ci && python scripts/vendor_assets.py

static/vendor/ and node_modules/ are git-ignored: no third-party code is committed.
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (file inside node_modules, name under static/vendor/)
ASSETS = [
    ("echarts/dist/echarts.min.js", "echarts.min.js"),
    ("echarts/LICENSE", "echarts.LICENSE.txt"),
]


def main() -> int:
    target = ROOT / "static" / "vendor"
    target.mkdir(parents=True, exist_ok=True)
    for source, name in ASSETS:
        path = ROOT / "node_modules" / source
        if not path.is_file():
            print(f"缺少 {path}：请先在仓库根目录运行 npm ci", file=sys.stderr)
            return 1
        shutil.copyfile(path, target / name)
        print(f"{path.relative_to(ROOT)} -> {(target / name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
