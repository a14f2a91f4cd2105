/**
 * The certificate as a customer sees it: headless Chromium (Debian's package; CI installs it through
 * topology/install.sh) renders certificate.html and a ladder from a realistic report folder that was
 * moved after it was written, every link is followed to a file inside the moved folder, and the
 * screenshots are kept in reports/browser/ for a person to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRunReport } from './run-report';
import { topologyHosts } from './sip-ladder';
import { FIXTURE_HOSTS, writeFixtureReport } from './test-report';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium; topology/install.sh installs it)`);

const REPO = join(import.meta.dirname, '..', '..');
const SHOTS = join(REPO, 'reports', 'browser');
// Flags from Debian's headless Chromium that keep it offline and quiet (no updates, no sync, no QUIC).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const work = mkdtempSync(join(tmpdir(), 'browser-'));
const moved = join(work, 'elsewhere', 'certificate of acme-sbc');
const profileDir = join(work, 'chromium-profile');
type Context = Awaited<ReturnType<typeof import('playwright-core').chromium.launchPersistentContext>>;
let context: Context | undefined;

beforeAll(async () => {
  if (!hasChromium) return;
  const fx = writeFixtureReport(join(work, 'written'));
  await writeRunReport({ reportDir: fx.reportDir, repoRoot: fx.root, runId: 'run-1', profileFile: fx.profileFile, provider: 'netns', hosts: topologyHosts(FIXTURE_HOSTS) });
  // Moved to a folder with a space in its name, and the original removed: an absolute link now breaks.
  mkdirSync(join(work, 'elsewhere'), { recursive: true });
  renameSync(fx.reportDir, moved);
  rmSync(fx.root, { recursive: true, force: true });
  const { chromium } = await import('playwright-core');
  // launchPersistentContext: the profile folder is ours and fresh (Chromium's --user-data-dir).
  context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: FLAGS });
}, 120_000);

afterAll(async () => {
  await context?.close();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('certificate.html in a browser', () => {
  it('renders the summary, the facts and a verdict per requirement', async () => {
    const page = await context!.newPage();
    await page.goto(pathToFileURL(join(moved, 'certificate.html')).href);
    expect(await page.locator('#summary').innerText()).toMatch(/^acme-sbc 5\.2\.1 build 77 meets 2 of 16 requirements; fails 2 \(GEN-01, IN-01\)/);
    expect(await page.locator('table.overview tr').count()).toBe(17);
    expect(await page.locator('#IN-01 .badge.fail').count()).toBeGreaterThan(0);
    expect(await page.locator('#GEN-06 h4').innerText()).toBe('Beyond the requirement');
    expect(await page.locator('#robustness').isVisible()).toBe(true);
    // The stack trace is folded away: closed <details> hides it.
    const stack = page.locator('#IN-01 details pre').first();
    expect(await stack.isVisible()).toBe(false);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'certificate.png'), fullPage: true });
    await page.close();
  });

  it('every link resolves to a file (or an anchor) inside the moved folder', async () => {
    const page = await context!.newPage();
    const url = pathToFileURL(join(moved, 'certificate.html')).href;
    await page.goto(url);
    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
    expect(hrefs.length).toBeGreaterThan(20);
    for (const h of hrefs) {
      const u = new URL(h);
      if (u.hash && h.startsWith(`${url}#`)) {
        expect(await page.locator(`[id="${decodeURIComponent(u.hash.slice(1))}"]`).count(), h).toBe(1);
        continue;
      }
      expect(u.protocol, h).toBe('file:');
      const file = fileURLToPath(u);
      expect(file.startsWith(moved + sep), h).toBe(true);
      expect(existsSync(file) && statSync(file).isFile(), h).toBe(true);
    }
    await page.close();
  });

  it('renders a scenario\'s ladder: a column per host, an arrow per message, SDP marked, each arrow linked to its message', async () => {
    const page = await context!.newPage();
    await page.goto(pathToFileURL(join(moved, 'certificate.html')).href);
    await page.locator('#GEN-03 a', { hasText: 'ladder.html' }).first().click();
    await page.waitForLoadState('load');
    expect(fileURLToPath(page.url())).toBe(join(moved, 'scenarios', '001-answered-call', 'ladder.html'));
    expect(await page.locator('svg g.host').count()).toBe(4);
    expect(await page.locator('svg g.msg').count()).toBe(14);
    expect(await page.locator('svg text', { hasText: /^SDP audio/ }).count()).toBe(4);
    const arrowLinks = await page.locator('svg a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const h of arrowLinks) expect(await page.locator(h!).count(), h!).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'ladder.png'), fullPage: true });
    await page.close();
  });
});
