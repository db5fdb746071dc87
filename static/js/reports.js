/* The report charts: each `[data-chart]` element is drawn with the vendored
 * ECharts from the data the page embeds in `#report-charts` (json_script).
 * The table beside each chart holds the same numbers, so nothing is lost
 * without JavaScript. Tooltips render on the canvas ("richText"): ECharts'
 * HTML tooltips carry inline style attributes, which the CSP refuses. */
(function () {
  "use strict";

  var source = document.getElementById("report-charts");
  if (!source || !window.echarts) {
    return;
  }
  var specs = JSON.parse(source.textContent);
  var locale = document.documentElement.lang || "zh-hans";
  var numbers = new Intl.NumberFormat(locale.indexOf("zh") === 0 ? "zh-CN" : "en", {
    maximumFractionDigits: 2,
  });

  function format(kind, value) {
    if (value === null || value === undefined) {
      return "—";
    }
    if (kind === "amount") {
      return "¥" + numbers.format(value);
    }
    if (kind === "rate" || kind === "share") {
      return value.toFixed(1) + "%";
    }
    return numbers.format(value);
  }

  function tooltip(kind) {
    return {
      renderMode: "richText",
      trigger: "item",
      valueFormatter: function (value) {
        return format(kind, value);
      },
    };
  }

  function seriesOf(spec, type, extra) {
    return spec.series.map(function (series) {
      return Object.assign(
        {
          name: series.name,
          type: type,
          data: series.values,
          tooltip: { valueFormatter: function (v) { return format(series.kind, v); } },
        },
        extra || {}
      );
    });
  }

  function named(spec) {
    var first = spec.series[0];
    return spec.categories.map(function (name, i) {
      return { name: name, value: first.values[i] };
    });
  }

  // `width`: the chart's width in pixels, for the category labels' room.
  function option(spec, width) {
    var kind = spec.series[0] ? spec.series[0].kind : "count";
    var legend = spec.series.length > 1 ? { top: 0 } : undefined;
    // Amounts are long ("¥1,000,000.00"): a label that would touch its
    // neighbour is left out (a phone's bars showed them on top of each other).
    var axisLabel = { formatter: function (v) { return format(kind, v); },
                      hideOverlap: true };
    // Counts step by whole numbers; rates stop at 100 %.
    var valueAxis = { type: "value", axisLabel: axisLabel,
                      minInterval: kind === "count" ? 1 : 0,
                      max: kind === "rate" || kind === "share" ? 100 : null };
    switch (spec.kind) {
      case "pie":
        return {
          tooltip: tooltip(kind),
          series: [{ type: "pie", radius: ["35%", "70%"], data: named(spec),
                     label: { formatter: "{b}: {c}" } }],
        };
      case "funnel":
        return {
          tooltip: tooltip(kind),
          series: [{ type: "funnel", sort: "none", left: "10%", width: "80%",
                     data: named(spec), label: { formatter: "{b}: {c}" } }],
        };
      case "map":
        var values = spec.series[0].values;
        return {
          tooltip: tooltip(kind),
          visualMap: { min: 0, max: Math.max.apply(null, values.concat([1])),
                       left: "left", bottom: 0, calculable: true,
                       inRange: { color: ["#eef4fb", "#1f5fa8"] } },
          series: [{ type: "map", map: "china", roam: false, data: named(spec),
                     emphasis: { label: { show: true } } }],
        };
      case "hbar":
        return {
          tooltip: Object.assign(tooltip(kind), { trigger: "axis" }),
          legend: legend,
          grid: { left: 8, right: 24, top: legend ? 28 : 8, bottom: 8, containLabel: true },
          xAxis: valueAxis,
          yAxis: { type: "category", data: spec.categories, inverse: true,
                   axisLabel: { width: 120, overflow: "truncate" } },
          series: seriesOf(spec, "bar"),
        };
      case "line":
        return {
          tooltip: Object.assign(tooltip(kind), { trigger: "axis" }),
          legend: legend,
          grid: { left: 8, right: 16, top: legend ? 28 : 16, bottom: 8, containLabel: true },
          xAxis: { type: "category", data: spec.categories },
          yAxis: valueAxis,
          series: seriesOf(spec, "line", { smooth: false }),
        };
      default:
        return {
          tooltip: Object.assign(tooltip(kind), { trigger: "axis" }),
          legend: legend,
          grid: { left: 8, right: 16, top: legend ? 28 : 16, bottom: 8, containLabel: true },
          xAxis: { type: "category", data: spec.categories,
                   axisLabel: categoryLabels(spec.categories.length, width) },
          yAxis: valueAxis,
          series: seriesOf(spec, "bar"),
        };
    }
  }

  // Every category's label shown: up to six side by side, each wrapped to
  // its share of the width (English stage names ran into each other), more
  // than six slanted.
  function categoryLabels(count, width) {
    if (count > 6) return { interval: 0, rotate: 30 };
    return { interval: 0, width: Math.max(40, (width - 60) / Math.max(count, 1) - 8),
             overflow: "break" };
  }

  var drawn = [];

  function draw(element, spec) {
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(Object.assign({ aria: { enabled: true }, animation: false }, option(spec, element.clientWidth)));
    element.setAttribute("data-drawn", "true");
    drawn.push(chart);
  }

  var maps = {};

  specs.forEach(function (spec) {
    var element = document.querySelector('[data-chart="' + spec.key + '"]');
    if (!element) {
      return;
    }
    if (spec.kind !== "map") {
      draw(element, spec);
      return;
    }
    var url = element.getAttribute("data-map-url");
    maps[url] = maps[url] || fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) {
        throw new Error(r.status);
      }
      return r.json();
    }).then(function (geo) {
      window.echarts.registerMap("china", geo);
    });
    maps[url].then(function () { draw(element, spec); }, function () {
      element.hidden = true;
    });
  });

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      drawn.forEach(function (chart) { chart.resize(); });
    }, 150);
  });
})();
