// Opens a report's index.html in headless Chromium with the network cut off, fails on
// any console error, page error or network request, waits for the charts, and checks
// that each chart area is not blank by decoding its screenshot.
// Usage: node render_html.cjs INDEX.html WEB_DIR [SCREENSHOT.png]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createRequire } = require('module');

const [htmlPath, webDir, screenshotPath] = process.argv.slice(2);
const requireWeb = createRequire(path.join(path.resolve(webDir), 'package.json'));
const { chromium } = requireWeb('playwright-core');
const { PNG } = requireWeb('pngjs');

const CHROMIUM = process.env.NORMCHECK_CHROMIUM || '/usr/bin/chromium';
const CHARTS = ['chart-histogram', 'chart-n', 'chart-mean_over_std', 'chart-magnitude', 'chart-eps'];

// Pixels that differ from the chart's background colour, as a fraction of the area.
function inkFraction(pngBuffer) {
  const png = PNG.sync.read(pngBuffer);
  const d = png.data;
  const [r0, g0, b0] = [d[0], d[1], d[2]];
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - r0) + Math.abs(d[i + 1] - g0) + Math.abs(d[i + 2] - b0) > 60) ink++;
  }
  return { ink: ink / (png.width * png.height), width: png.width, height: png.height };
}

(async () => {
  const problems = [];
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'normcheck-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    offline: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // The page must be self-contained: any request other than the file itself is a failure.
    const url = 'file://' + path.resolve(htmlPath);
    await page.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      problems.push(`network request: ${route.request().url()}`);
      return route.abort();
    });
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.charts !== undefined, null, { timeout: 30000 });
    const state = await page.evaluate(() => document.body.dataset.charts);
    if (state !== 'rendered') problems.push(`charts: ${state}`);
    for (const id of CHARTS) {
      const el = await page.$('#' + id);
      if (!el) { problems.push(`#${id}: missing`); continue; }
      const marks = await el.$$eval('svg .mark-symbol path, svg .mark-line path, svg .mark-rect path', (n) => n.length);
      const { ink, width, height } = inkFraction(await el.screenshot());
      console.log(`#${id}: ${width}x${height} px, ${(100 * ink).toFixed(2)}% ink, ${marks} marks`);
      if (width < 100 || height < 100) problems.push(`#${id}: chart area only ${width}x${height}`);
      if (ink < 0.005) problems.push(`#${id}: blank (${(100 * ink).toFixed(3)}% of pixels differ from background)`);
      if (marks === 0) problems.push(`#${id}: no data marks drawn`);
    }
    if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: true });
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  if (problems.length) {
    for (const p of problems.slice(0, 10)) console.error(p);
    process.exit(1);
  }
  console.log(`${htmlPath}: rendered with no console errors`);
})().catch((e) => { console.error(e); process.exit(1); });
