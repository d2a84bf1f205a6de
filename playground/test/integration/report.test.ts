/**
 * The simulation report in a real headless browser (Debian's chromium). The browser is
 * installed by .ci/run; where none can be found the suite fails, naming what to install.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../src/engine';
import { renderReport } from '../../src/report';
import { loadScenario } from '../../src/scenario';

const run = promisify(execFile);
const BROWSER = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) =>
  existsSync(p),
);
const SCENARIO = fileURLToPath(new URL('../fixtures/short.json', import.meta.url));
// Headless, no sandbox (root in CI), and no background connections (the network is closed).
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

describe('Report: rendered in headless chromium', () => {
  let dir: string;
  let html: string;
  let dom: string;

  beforeAll(async () => {
    if (!BROWSER) {
      throw new Error(
        'no chromium found (/usr/bin/chromium, chromium-browser or google-chrome): apt-get install chromium (.ci/run does this)',
      );
    }
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    dir = await mkdtemp(join(tmpdir(), 'report-'));
    const { output, runs } = await simulate(await loadScenario(SCENARIO), ['rate', 'threshold']);
    html = join(dir, 'simulation.html');
    await writeFile(html, renderReport(output, runs));
    const profile = await mkdtemp(join(tmpdir(), 'chromium-'));
    const { stdout } = await run(
      BROWSER as string,
      [...FLAGS, `--user-data-dir=${profile}`, '--dump-dom', pathToFileURL(html).href],
      {
        maxBuffer: 32 * 1024 * 1024,
        timeout: 60_000,
      },
    );
    dom = stdout;
  }, 180_000);

  it('the browser parsed every chart: three per policy, each with its lines', () => {
    expect(dom).toContain('Simulation report: short-test');
    expect(dom.match(/<svg /g)).toHaveLength(6);
    expect(dom.match(/<figcaption>/g)).toHaveLength(6);
    // input+capacity, desired+running+minimum, lag+SLO: 7 data lines per policy
    expect((dom.match(/<path d="M/g) ?? []).length).toBeGreaterThanOrEqual(14);
    // decisions are marked with their reason code
    expect(dom).toMatch(/<title>[0-9:]+ (schedule|manual|alarm) Applied/);
  });

  it('renders to a non-blank screenshot', async () => {
    const png = join(dir, 'report.png');
    const profile = await mkdtemp(join(tmpdir(), 'chromium-'));
    await run(
      BROWSER as string,
      [
        ...FLAGS,
        `--user-data-dir=${profile}`,
        '--window-size=1100,1800',
        `--screenshot=${png}`,
        pathToFileURL(html).href,
      ],
      {
        timeout: 60_000,
      },
    );
    const bytes = await readFile(png);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    // A blank white page of this size compresses to a few KB; charts do not.
    expect((await stat(png)).size).toBeGreaterThan(30_000);
  }, 90_000);
});
