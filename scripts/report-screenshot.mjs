#!/usr/bin/env node
// Screenshots a report page in headless Chromium (docs/report.png is made with it):
//   node scripts/report-screenshot.mjs REPORT.html OUT.png [CHART_INDEX]
// With CHART_INDEX, the shot is that chart's section, with the pointer hovering its middle.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const { openInChromium } = require('../services/cli/dist/report/headless-chromium.js');
const [html, out, index] = process.argv.slice(2);
if (!html || !out) {
  process.stderr.write('usage: node scripts/report-screenshot.mjs REPORT.html OUT.png [CHART_INDEX]\n');
  process.exit(2);
}
const page = await openInChromium(`file://${resolve(html)}`, { chromium: process.env.HOURGLASS_CHROMIUM, width: 1100, height: 900 });
try {
  let clip;
  if (index !== undefined) {
    const chart = `window.hourglassCharts[${Number(index)}]`;
    const over = await page.evaluate(`(() => {
      ${chart}.root.closest('section').scrollIntoView();
      const o = ${chart}.over.getBoundingClientRect();
      return { x: o.left + o.width * 0.62, y: o.top + o.height / 2 };
    })()`);
    await page.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: over.x, y: over.y, buttons: 0 });
    // Measured after the hover: the legend's values can make it wrap onto a second line.
    clip = await page.evaluate(`(() => {
      const r = ${chart}.root.closest('section').getBoundingClientRect();
      return { x: r.left, y: r.top + window.scrollY, width: r.width, height: r.height };
    })()`);
  }
  writeFileSync(out, await page.screenshot(clip));
} finally {
  await page.close();
}
