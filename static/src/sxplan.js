/* sxplan pages: charts and the map, drawn with Apache ECharts from the page's embedded JSON. */
(function () {
  "use strict";

  var STATUS_COLORS = {
    achieved: "#2e7d32",
    ahead: "#2e7d32",
    faster: "#43a047",
    on_track: "#43a047",
    behind: "#f9a825",
    far_behind: "#c62828",
    missed: "#c62828",
    overdue_no_data: "#757575",
    no_data: "#9e9e9e"
  };
  var STAGE_COLORS = ["#90a4ae", "#64b5f6", "#1e88e5", "#43a047", "#2e7d32", "#bdbdbd"];
  // Core and blocks fill the cities; belts are drawn as lines through the cities' centres.
  var CORE_COLORS = ["#e53935", "#d81b60"];
  var BLOCK_COLORS = ["#81c784", "#64b5f6", "#ffb74d", "#ba68c8", "#4dd0e1", "#f06292", "#aed581"];
  // Dark line colours, none of them a hue of the block fills (the 太焦 belt is not the 节能环保 block's orange).
  var BELT_COLORS = ["#37474f", "#4e342e", "#004d40", "#1a237e"];
  var NO_ZONE_COLOR = "#eceff1";
  var FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';

  var charts = [];

  function pageData() {
    var node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent) : {};
  }

  function make(element, option) {
    if (!element) return null;
    var chart = echarts.init(element, null, { renderer: "canvas" });
    option.textStyle = Object.assign({ fontFamily: FONT }, option.textStyle || {});
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }

  function hasRoom(element) {
    return element.clientWidth > 0 && element.clientHeight > 0;
  }

  // ECharts cannot lay out a map in no space (its transform has no inverse), so a chart squeezed to
  // nothing (a window shrunk to a point, as a full-page screenshot does) keeps its last drawing and
  // is fitted again once it has room.
  function resizeCharts() {
    charts.forEach(function (chart) {
      if (hasRoom(chart.getDom())) chart.resize();
    });
  }

  // Calls ``draw`` now if ``element`` has room, or as soon as it has.
  function whenRoomy(element, draw) {
    if (hasRoom(element) || !window.ResizeObserver) { draw(); return; }
    var observer = new ResizeObserver(function () {
      if (!hasRoom(element)) return;
      observer.disconnect();
      draw();
    });
    observer.observe(element);
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function number(value, digits) {
    if (value === null || value === undefined) return "—";
    return Number(value).toLocaleString("zh-CN", { maximumFractionDigits: digits === undefined ? 2 : digits });
  }

  /* ---- zones: one colour per zone, the same on the map and in the legend ---- */

  function zoneColors(zones) {
    var colors = {};
    var counters = { core: 0, block: 0, belt: 0 };
    var palettes = { core: CORE_COLORS, block: BLOCK_COLORS, belt: BELT_COLORS };
    zones.forEach(function (zone) {
      var palette = palettes[zone.kind] || BLOCK_COLORS;
      colors[zone.id] = palette[counters[zone.kind] % palette.length];
      counters[zone.kind] += 1;
    });
    return colors;
  }

  function paintLegend(colors) {
    document.querySelectorAll("[data-zone-swatch]").forEach(function (swatch) {
      swatch.style.background = colors[swatch.getAttribute("data-zone-swatch")] || NO_ZONE_COLOR;
    });
  }

  // A fill of diagonal stripes, one band per colour, for a city in several cores or blocks.
  function stripes(fills) {
    var band = 7;
    var size = band * fills.length;
    var canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    var context = canvas.getContext("2d");
    // Bands between the lines x + y = k and x + y = k + band; the tile repeats seamlessly.
    for (var k = -size, i = 0; k < 2 * size; k += band, i += 1) {
      context.fillStyle = fills[i % fills.length];
      context.beginPath();
      context.moveTo(k, 0);
      context.lineTo(k + band, 0);
      context.lineTo(k + band - size, size);
      context.lineTo(k - size, size);
      context.closePath();
      context.fill();
    }
    return { image: canvas, repeat: "repeat" };
  }

  /* ---- the province map ---- */

  // The outlines come from their own cached file (data.boundaries), the figures from the page.
  function drawMap(element, data) {
    if (!data.boundaries) { drawMapWith(element, data); return; }
    fetch(data.boundaries, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (outlines) {
        var geometry = {};
        outlines.features.forEach(function (feature) { geometry[feature.id] = feature.geometry; });
        data.cities.features.forEach(function (feature) { feature.geometry = geometry[feature.id] || null; });
        // The outlines may arrive while the window has no room for them.
        whenRoomy(element, function () { drawMapWith(element, data); });
      });
  }

  function drawMapWith(element, data) {
    var zones = data.zones || [];
    var colors = zoneColors(zones);
    paintLegend(colors);
    echarts.registerMap("sxplan-cities", data.cities);

    var cities = data.cities.features.map(function (feature) { return feature.properties; });
    var cityByName = {};
    var centres = {};
    cities.forEach(function (city) {
      cityByName[city.name] = city;
      if (city.center) centres[city.code] = city.center;
    });

    var regions = cities.map(function (city) {
      var areas = city.zones.filter(function (z) { return z.kind !== "belt"; });
      var fills = areas.map(function (z) { return colors[z.id]; });
      return { name: city.name, itemStyle: { areaColor: fills.length > 1 ? stripes(fills) : fills[0] || NO_ZONE_COLOR } };
    });

    var belts = zones.filter(function (z) { return z.kind === "belt"; }).map(function (zone, index) {
      var points = zone.cities
        .map(function (code) { return centres[code]; })
        .filter(Boolean)
        .sort(function (a, b) { return b[1] - a[1]; });
      return {
        type: "lines",
        name: zone.name,
        coordinateSystem: "geo",
        polyline: true,
        silent: true,
        zlevel: 1,
        // Every other belt dashed, so that two belts through one city stay apart.
        lineStyle: { color: colors[zone.id], width: 4, opacity: 0.8, cap: "round", type: index % 2 ? [8, 5] : "solid" },
        data: points.length > 1 ? [{ name: zone.name, coords: points }] : []
      };
    });

    function tooltip(params) {
      var city = cityByName[params.name];
      if (!city) return escapeHtml(params.name);
      var lines = ["<strong>" + escapeHtml(city.name) + "</strong>"];
      if (city.zones.length) {
        city.zones.forEach(function (z) {
          lines.push('<span style="display:inline-block;width:10px;height:10px;margin-right:4px;background:' +
            colors[z.id] + '"></span>' + escapeHtml(z.name) + (z.inferred ? "（推断）" : ""));
        });
      } else {
        lines.push("不在空间布局分区内");
      }
      lines.push("重点项目 " + city.project_count + " 个，总投资 " + number(city.project_investment, 1) + " 亿元" +
        (city.project_investment_unknown ? "（另 " + city.project_investment_unknown + " 个投资未知）" : ""));
      if (city.warnings) {
        lines.push("未解除预警：<span class=\"warn-red\">红 " + city.warnings.red + "</span> · <span class=\"warn-yellow\">黄 " +
          city.warnings.yellow + "</span>");
      }
      lines.push("园区 " + city.park_count + " 个 · 企业 " + city.enterprise_count + " 家 · 基地 " + city.base_count + " 个");
      if (city.projects && city.projects.length) {
        lines.push("投资最大的项目：");
        city.projects.forEach(function (p) {
          lines.push('· <a href="' + escapeHtml(p.url) + '">' + escapeHtml(p.name) + "</a> " + escapeHtml(p.stage) + " · " +
            number(p.investment, 1) + " 亿元" + (p.warnings ? ' · <span class="' + (p.red ? "warn-red" : "warn-yellow") + '">预警 ' + p.warnings + "</span>" : ""));
        });
      }
      return '<div class="map-tip" data-city="' + escapeHtml(city.code) + '">' + lines.join("<br>") + "</div>";
    }

    var chart = make(element, {
      // Enterable, so that the project links in it can be followed.
      tooltip: { trigger: "item", enterable: true, confine: true, hideDelay: 300 },
      legend: belts.length ? { bottom: 0, data: belts.map(function (b) { return b.name; }), selectedMode: false } : undefined,
      geo: {
        map: "sxplan-cities",
        roam: false,
        aspectScale: 0.85,
        layoutCenter: ["50%", "48%"],
        layoutSize: "92%",
        // The names are drawn by the series below, above the belt lines.
        label: { show: false },
        itemStyle: { borderColor: "#ffffff", borderWidth: 1.5, areaColor: NO_ZONE_COLOR },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#ffe082" } },
        select: { disabled: true },
        tooltip: { show: true, formatter: tooltip },
        regions: regions
      },
      series: belts.concat([{
        // City names on a light plate above the belt lines and the hatching, so that both stay readable.
        type: "scatter",
        coordinateSystem: "geo",
        zlevel: 2,
        silent: true,
        symbolSize: 0,
        label: {
          show: true, position: "inside", fontSize: 11, color: "#263238",
          backgroundColor: "rgba(255, 255, 255, 0.85)", borderRadius: 3, padding: [1, 3],
          formatter: function (p) { return p.name.replace(/市$/, ""); }
        },
        data: cities.filter(function (city) { return city.center; }).map(function (city) {
          return { name: city.name, value: city.center };
        })
      }])
    });

    chart.on("click", function (params) {
      var city = cityByName[params.name];
      if (city && params.componentType === "geo") window.location.href = city.url;
    });

    // A hook for people and tests: the cities drawn and the point at the centre of each.
    window.sxplanMap = {
      chart: chart,
      cities: cities,
      drawnCities: function () {
        var geo = chart.getModel().getComponent("geo", 0).coordinateSystem;
        return geo.regions.map(function (r) { return r.name; });
      },
      pixelOf: function (code) {
        var city = cities.find(function (c) { return c.code === code; });
        if (!city) return null;
        var point = chart.convertToPixel({ geoIndex: 0 }, city.center || city.name);
        // Viewport coordinates, as mouse events use them.
        var box = element.getBoundingClientRect();
        return { x: box.left + point[0], y: box.top + point[1] };
      }
    };
    element.setAttribute("data-cities-drawn", String(window.sxplanMap.drawnCities().length));
  }

  /* ---- charts ---- */

  // Bars of project counts with a line of their total investment (two axes): pipeline, cities, zones.
  function drawCounts(element, rows) {
    if (!element) return;
    if (!rows.length) { element.hidden = true; return; }
    // Each label gets its share of the width: wrapped, or slanted where there are many.
    var share = Math.max(36, Math.floor((element.clientWidth - 80) / rows.length));
    var slanted = rows.length > 7 || share < 48;
    make(element, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, data: ["项目数", "总投资（亿元）"] },
      grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: rows.map(function (r) { return r.label; }),
        axisLabel: {
          interval: 0, rotate: slanted ? 35 : 0, width: slanted ? 90 : share - 4,
          overflow: slanted ? "truncate" : "break", fontSize: 11
        }
      },
      yAxis: [{ type: "value", name: "个", minInterval: 1 }, { type: "value", name: "亿元", splitLine: { show: false } }],
      series: [
        {
          name: "项目数", type: "bar", barMaxWidth: 40,
          data: rows.map(function (r) { return { value: r.count, itemStyle: { color: r.color || "#1e88e5" } }; }),
          label: { show: true, position: "top" }
        },
        {
          name: "总投资（亿元）", type: "line", yAxisIndex: 1, symbolSize: 8,
          itemStyle: { color: "#ef6c00" },
          data: rows.map(function (r) { return r.investment; })
        }
      ]
    });
  }

  function drawPipeline(element, stages) {
    drawCounts(element, stages
      .filter(function (s) { return s.stage !== "cancelled" || s.count; })
      .map(function (s, i) { return { label: s.label, count: s.count, investment: s.investment, color: STAGE_COLORS[i] }; }));
  }

  function drawTargetStatus(element, statuses) {
    if (!element) return;
    if (!statuses.length) { element.hidden = true; return; }
    var total = statuses.reduce(function (sum, s) { return sum + s.count; }, 0);
    make(element, {
      tooltip: { trigger: "item", formatter: "{b}：{c} 项（{d}%）" },
      title: { text: String(total), subtext: "项指标", left: "center", top: "34%", textStyle: { fontSize: 22 }, itemGap: 2 },
      legend: { bottom: 0, itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 11 } },
      series: [{
        type: "pie", radius: ["48%", "70%"], center: ["50%", "44%"], label: { show: false },
        data: statuses.map(function (s) { return { name: s.label, value: s.count, itemStyle: { color: STATUS_COLORS[s.status] } }; })
      }]
    });
  }

  function drawTargetProgress(element, targets) {
    if (!element) return;
    targets = targets.filter(function (t) { return t.percent !== null; });
    if (!targets.length) {
      element.outerHTML = '<p class="muted">该规划的指标暂无可计算进度的监测数据。</p>';
      return;
    }
    element.style.height = Math.max(160, 34 * targets.length + 48) + "px";
    make(element, {
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var t = targets[p.dataIndex];
          return escapeHtml(t.name) + "（" + escapeHtml(t.scope) + "）<br>完成 " + number(t.percent, 0) + "%";
        }
      },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); }, axisLabel: { formatter: "{value}%" } },
      yAxis: {
        type: "category", inverse: true,
        data: targets.map(function (t) { return t.name; }),
        // At most two fifths of the width, so that the bars keep theirs on a phone.
        axisLabel: { width: Math.min(200, Math.floor(element.clientWidth * 0.4)), overflow: "truncate" }
      },
      series: [{
        type: "bar", barMaxWidth: 18,
        data: targets.map(function (t) {
          return { value: Math.round(t.percent * 10) / 10, itemStyle: { color: STATUS_COLORS[t.status] || "#9e9e9e" } };
        }),
        label: { show: true, position: "right", formatter: "{c}%" },
        markLine: { silent: true, symbol: "none", data: [{ xAxis: 100 }], lineStyle: { color: "#455a64", type: "dashed" }, label: { show: false } }
      }]
    });
  }

  function drawTargetChart(element, target) {
    var series = [];
    if (target.baseline) {
      series.push({
        name: "目标路径", type: "line", symbol: "none",
        lineStyle: { type: "dashed", color: "#ef6c00" }, itemStyle: { color: "#ef6c00" },
        data: [target.baseline, target.target]
      });
    }
    series.push({
      name: "目标", type: "scatter", symbol: "diamond", symbolSize: 12, itemStyle: { color: "#c62828" },
      data: [target.target]
    });
    // Drawn last, so that the observations lie on top of the straight line.
    series.push({
      name: "监测值", type: "line", symbolSize: 8, showAllSymbol: true, lineStyle: { width: 3 }, itemStyle: { color: "#1e88e5" },
      data: target.observations
    });
    var years = [target.target[0]].concat(target.observations.map(function (o) { return o[0]; }));
    if (target.baseline) years.push(target.baseline[0]);
    var first = Math.min.apply(null, years);
    var last = Math.max.apply(null, years);
    if (first === last) { first -= 1; last += 1; }
    make(element, {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return number(v) + (target.unit ? " " + target.unit : ""); } },
      legend: { top: 0, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 16, top: 28, bottom: 4, containLabel: true },
      xAxis: {
        type: "value", min: first, max: last, minInterval: 1,
        axisLabel: { formatter: function (v) { return Number.isInteger(v) ? String(v) : ""; } }
      },
      yAxis: { type: "value", scale: true, name: target.unit || "" },
      series: series
    });
  }

  function drawTargets(targets) {
    targets.forEach(function (target) {
      var element = document.querySelector('[data-target-chart="' + target.id + '"]');
      if (element) drawTargetChart(element, target);
    });
  }

  function drawComparison(element, comparison) {
    if (!element || !comparison.rows.length) return;
    make(element, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll", data: comparison.plans },
      // Room on the left for the first slanted label, which would otherwise be cut at the edge.
      grid: { left: 56, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: comparison.rows.map(function (r) { return r.industry; }),
        axisLabel: { interval: 0, rotate: comparison.rows.length > 5 ? 30 : 0, width: 110, overflow: "truncate" }
      },
      yAxis: { type: "value", name: "重点领域数", minInterval: 1, nameTextStyle: { align: "left" } },
      series: comparison.plans.map(function (name, index) {
        return {
          name: name, type: "bar", barMaxWidth: 28,
          itemStyle: { color: ["#1e88e5", "#ef6c00"][index] },
          data: comparison.rows.map(function (r) { return r.counts[index]; })
        };
      })
    });
  }

  /* ---- indicator: every plan's targets and every region's preferred values ---- */

  var REGION_COLORS = ["#1e88e5", "#43a047", "#8e24aa", "#00897b", "#f4511e", "#3949ab", "#c0ca33", "#6d4c41", "#d81b60", "#00acc1", "#5e35b1", "#7cb342"];
  var PLAN_COLORS = ["#ef6c00", "#c62828", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"];

  function drawIndicator(element, data) {
    if (!element) return;
    var unit = data.unit ? " " + data.unit : "";
    var series = [];
    var years = [];
    data.targets.forEach(function (t, i) {
      var color = PLAN_COLORS[i % PLAN_COLORS.length];
      var points = (t.baseline ? [t.baseline] : []).concat([t.target]);
      points.forEach(function (p) { years.push(p[0]); });
      series.push({
        name: t.name, type: "line", symbol: "diamond", symbolSize: 10,
        lineStyle: { type: "dashed", color: color }, itemStyle: { color: color },
        data: points.map(function (p, j) {
          var last = j === points.length - 1;
          return { value: p, label: (last ? "目标 " + t.comparator : "基期 ") + number(p[1]) + unit, plan: t.plan };
        })
      });
    });
    data.observations.forEach(function (region, i) {
      series.push({
        name: region.region + "监测值", type: "line", symbolSize: 7, showAllSymbol: true,
        lineStyle: { width: 2 }, itemStyle: { color: REGION_COLORS[i % REGION_COLORS.length] },
        data: region.points.map(function (p) {
          years.push(p.x);
          var detail = [p.period, number(p.value) + (p.qualifier || "") + unit, "数据状态：" + p.status];
          if (p.source) detail.push("来源：" + p.source);
          return { value: [p.x, p.value], label: detail.join("<br>") };
        })
      });
    });
    if (!series.length) {
      element.hidden = true;
      return;
    }
    var first = Math.floor(Math.min.apply(null, years));
    var last = Math.ceil(Math.max.apply(null, years));
    if (first === last) { first -= 1; last += 1; }
    var chart = make(element, {
      tooltip: {
        trigger: "item",
        formatter: function (p) { return escapeHtml(p.seriesName) + "<br>" + p.data.label.split("<br>").map(escapeHtml).join("<br>"); }
      },
      legend: { top: 0, type: "scroll", textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 16, top: 36, bottom: 4, containLabel: true },
      xAxis: {
        type: "value", min: first, max: last, minInterval: 1,
        axisLabel: { formatter: function (v) { return Number.isInteger(v) ? String(v) : ""; } }
      },
      yAxis: { type: "value", scale: true, name: data.unit || "" },
      series: series
    });
    element.setAttribute("data-series", String(series.length));
    window.sxplanIndicator = {
      seriesCount: function () { return chart.getOption().series.length; },
      tooltipOf: function (seriesIndex, dataIndex) {
        var point = chart.getOption().series[seriesIndex].data[dataIndex];
        return point.label;
      }
    };
  }

  /* ---- a key project's investment: planned (序时进度) vs completed, by month and cumulative ---- */

  function drawInvestment(element, months) {
    if (!element) return;
    if (!months.length) {
      element.textContent = "尚无年度计划投资或调度月报。";
      element.classList.add("muted");
      element.style.height = "auto";
      return;
    }
    make(element, {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return number(v) + " 亿元"; } },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 36, bottom: 30 },
      xAxis: { type: "category", data: months.map(function (m) { return m.period; }) },
      yAxis: { type: "value", name: "亿元" },
      series: [
        { name: "当月完成", type: "bar", itemStyle: { color: "#90caf9" }, data: months.map(function (m) { return m.completed; }) }
      ].concat(
        // The year's running totals start again in January: one line per year, never joined across years.
        perYear(months, "completed_year_cumulative").map(function (data) {
          return { name: "本年累计完成", type: "line", itemStyle: { color: "#1e88e5" }, data: data };
        }),
        perYear(months, "planned_cumulative").map(function (data) {
          return { name: "本年计划（序时进度）", type: "line", lineStyle: { type: "dashed" }, itemStyle: { color: "#ef6c00" }, data: data };
        }),
        [{ name: "累计完成", type: "line", itemStyle: { color: "#2e7d32" }, data: months.map(function (m) { return m.completed_cumulative; }) }]
      )
    });
  }

  // One data array per year of ``months`` (periods "YYYY-MM"), each holding ``key`` in its year's months only.
  function perYear(months, key) {
    var years = [];
    months.forEach(function (m) {
      var year = m.period.slice(0, 4);
      if (years.indexOf(year) < 0) years.push(year);
    });
    return years.map(function (year) {
      return months.map(function (m) { return m.period.slice(0, 4) === year ? m[key] : null; });
    }).filter(function (data) { return data.some(function (v) { return v !== null && v !== undefined; }); });
  }

  /* ---- the dashboard's months: completed investment of the plan's projects vs 序时进度 ---- */

  function drawMonthly(element, data) {
    if (!element) return;
    var months = data.months;
    if (!months.some(function (m) { return m.reports || m.planned_cumulative !== null; })) {
      element.textContent = data.year + "年尚无调度月报或年度计划投资。";
      element.classList.add("muted");
      element.style.height = "auto";
      return;
    }
    make(element, {
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var m = months[items[0].dataIndex];
          var lines = [data.year + "年" + m.period];
          items.forEach(function (item) { lines.push(item.marker + escapeHtml(item.seriesName) + "：" + number(item.value) + " 亿元"); });
          lines.push("月报 " + m.reports + " 份" + (m.unknown ? "，其中 " + m.unknown + " 份未填金额（未计入）" : ""));
          return lines.join("<br>");
        }
      },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 36, bottom: 30 },
      xAxis: { type: "category", data: months.map(function (m) { return m.period; }) },
      yAxis: { type: "value", name: "亿元" },
      series: [
        { name: "当月完成", type: "bar", itemStyle: { color: "#90caf9" }, data: months.map(function (m) { return m.completed; }) },
        { name: "本年累计完成", type: "line", itemStyle: { color: "#1e88e5" }, data: months.map(function (m) { return m.completed_cumulative; }) },
        { name: "序时进度", type: "line", lineStyle: { type: "dashed" }, itemStyle: { color: "#ef6c00" },
          data: months.map(function (m) { return m.planned_cumulative; }) }
      ]
    });
  }

  /* ---- pages ---- */

  var pages = {
    dashboard: function (data) {
      drawMap(document.getElementById("province-map"), data);
      drawTargetStatus(document.getElementById("target-status"), data.targetStatuses);
      drawTargetProgress(document.getElementById("target-progress"), data.targets);
      drawPipeline(document.getElementById("pipeline"), data.stages);
      drawMonthly(document.getElementById("investment-month"), data.investmentByMonth);
      drawCounts(document.getElementById("investment-city"), data.investmentByCity.map(function (c) {
        return { label: c.name.replace(/市$/, ""), count: c.count, investment: c.investment };
      }));
      var colors = zoneColors(data.zones);
      drawCounts(document.getElementById("investment-zone"), data.zones.map(function (z) {
        return { label: z.name, count: z.count, investment: z.investment, color: colors[z.id] };
      }));
    },
    city: function (data) {
      drawPipeline(document.getElementById("city-pipeline"), data.stages);
      drawTargets(data.targets);
    },
    plan: function (data) {
      drawTargets(data.targets);
      drawComparison(document.getElementById("comparison-chart"), data.comparison);
    },
    indicator: function (data) {
      drawIndicator(document.getElementById("indicator-chart"), data.indicator);
    },
    project: function (data) {
      drawInvestment(document.getElementById("investment-curve"), data.months);
    }
  };

  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    autosubmit();
    var draw = pages[document.body.getAttribute("data-page")];
    if (draw && window.echarts) draw(pageData());
    window.addEventListener("resize", resizeCharts);
    document.body.setAttribute("data-ready", "true");
  });
})();
