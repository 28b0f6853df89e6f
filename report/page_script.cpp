// The report page's own script and style (see page_script.hpp). The script marks
// <body data-charts="rendered"> when every chart is drawn, "failed" otherwise, and logs
// a console error on failure, so headless tests can tell.
#include "report/page_script.hpp"

namespace normcheck::harness::report {

const std::string_view kPageStyle = R"css(
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1400px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td.name, th.name { text-align: left; font-family: monospace; }
td.pass { background: #e6f4e6; } td.fail { background: #fbe1e1; font-weight: bold; }
td.skipped, td.na { background: #f4f4f4; color: #777; }
code { font-size: 12px; } .note { color: #555; max-width: 70em; }
.chart { margin: .5em 0 1em; min-height: 50px; }
)css";

const std::string_view kPageScript = R"js(
(function () {
  'use strict';
  const report = JSON.parse(document.getElementById('report-data').textContent);
  // report.json writes inf / nan as strings; charts plot finite numbers only.
  const num = (v) => (typeof v === 'number' && isFinite(v) ? v : null);
  const fmt = (v) => (typeof v === 'number' ? (v === 0 ? '0' : v.toPrecision(3)) : String(v));
  const embedOptions = { mode: 'vega-lite', renderer: 'svg', actions: false };
  const jobs = [];

  function draw(id, spec) {
    const el = document.getElementById(id);
    if (!el) return;
    jobs.push(vegaEmbed(el, spec, embedOptions));
  }

  function histogram() {
    const values = [];
    for (const k of report.kernels) {
      const h = k.ulp_histogram;
      const total = h.counts.reduce((a, b) => a + b, 0);
      h.counts.forEach((count, i) => {
        const lo = h.edges[i];
        const label = lo === 0 ? '0' : '2^' + Math.log2(lo);
        if (count > 0) values.push({ kernel: k.name, bin: label, order: i, fraction: count / total, count });
      });
    }
    const order = [];
    report.kernels.length && report.kernels[0].ulp_histogram.edges.slice(0, -1).forEach((e) => order.push(e === 0 ? '0' : '2^' + Math.log2(e)));
    return {
      data: { values }, width: 900, height: 280,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'bin', type: 'ordinal', sort: order, title: 'ULP error bin (lower edge; bins are [2^k, 2^(k+1)))' },
        y: { field: 'fraction', type: 'quantitative', scale: { type: 'log' }, title: 'fraction of outputs' },
        color: { field: 'kernel', type: 'nominal' },
        tooltip: [{ field: 'kernel' }, { field: 'bin' }, { field: 'count' }, { field: 'fraction', format: '.2e' }],
      },
    };
  }

  function sweep(id, xTitle, xScale) {
    const values = [];
    for (const k of report.kernels) {
      const s = k.sweeps.find((x) => x.id === id);
      if (!s) continue;
      for (const p of s.points) {
        const failed = p.tally.failed > 0;
        values.push({ kernel: k.name, x: p.parameter, measure: 'max score', value: num(p.score.max), failed });
        values.push({ kernel: k.name, x: p.parameter, measure: 'p99 score', value: num(p.score.p99), failed });
        values.push({ kernel: k.name, x: p.parameter, measure: 'max ULP error', value: num(p.ulp_error.max), failed });
      }
    }
    return {
      data: { values },
      facet: { column: { field: 'measure', type: 'nominal', title: null, sort: ['max score', 'p99 score', 'max ULP error'] } },
      spec: {
        width: 330, height: 230,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: xScale, title: xTitle },
          y: { field: 'value', type: 'quantitative', scale: { type: 'symlog' }, title: 'error' },
          color: { field: 'kernel', type: 'nominal' },
          tooltip: [{ field: 'kernel' }, { field: 'x' }, { field: 'value', format: '.3g' }, { field: 'failed' }],
        },
      },
      resolve: { scale: { y: 'independent' } },
    };
  }

  function epsGrid() {
    const values = [];
    const epsLabels = report.eps_values.map(fmt), ratioLabels = report.var_over_eps_values.map(fmt);
    for (const k of report.kernels) {
      for (const c of k.eps_grid) {
        const failed = c.tally.verdict === 'fail';
        values.push({
          kernel: k.name, eps: fmt(c.eps), ratio: fmt(c.var_over_eps), score: num(c.tally.worst_score),
          kappa: fmt(c.kappa_eps_max), verdict: c.tally.verdict,
          text: failed ? 'FAIL' : c.tally.verdict === 'pass' ? fmt(c.tally.worst_score) : c.tally.verdict,
        });
      }
    }
    return {
      data: { values },
      facet: { field: 'kernel', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: 300, height: 200,
        encoding: {
          x: { field: 'ratio', type: 'ordinal', sort: ratioLabels, title: 'var / eps (eps = 0: var)' },
          y: { field: 'eps', type: 'ordinal', sort: epsLabels, title: 'eps' },
        },
        layer: [
          { mark: 'rect', encoding: { color: { field: 'score', type: 'quantitative', scale: { type: 'symlog', scheme: 'blues' }, title: 'worst score' },
              tooltip: [{ field: 'kernel' }, { field: 'eps' }, { field: 'ratio' }, { field: 'verdict' }, { field: 'score', format: '.3g' }, { field: 'kappa', title: 'max kappa_eps' }] } },
          { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'text' },
              color: { condition: { test: "datum.verdict === 'fail'", value: '#c00' }, value: '#000' } } },
        ],
      },
    };
  }

  try {
    if (report.kernels.length) {
      draw('chart-histogram', histogram());
      draw('chart-n', sweep('n', 'row length n', { type: 'log', base: 2 }));
      draw('chart-mean_over_std', sweep('mean_over_std', 'target |mean| / std', { type: 'log' }));
      draw('chart-magnitude', sweep('magnitude', 'binade k: x = 2^k (0.5 + N(0, 1))', {}));
      draw('chart-eps', epsGrid());
    }
  } catch (e) {
    jobs.push(Promise.reject(e));
  }
  Promise.all(jobs).then(
    () => { document.body.dataset.charts = 'rendered'; },
    (e) => { document.body.dataset.charts = 'failed'; console.error('normcheck report: a chart failed to render:', e); });
})();
)js";

}  // namespace normcheck::harness::report
