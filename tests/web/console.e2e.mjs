// End-to-end tests of the web console in a real headless Chromium (Debian's), driven by
// playwright-core. Started by tests/web/console_e2e.sh, which runs `rsf demo` and serves its
// gateway with rsfd; the environment names the console, the keys and where screenshots go.
//
//   RSF_BASE            http://127.0.0.1:PORT
//   RSF_ADMIN_KEY, RSF_AUDITOR_KEY, RSF_CLIENT_KEY
//   RSF_SHOTS           directory for the screenshots (and diffs when a golden one differs)
//   RSF_GOLDEN          tests/web/golden; UPDATE_GOLDEN=1 rewrites the golden screenshots
//   CHROMIUM            the browser (default /usr/bin/chromium)
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { comparePng, decodePng } from './png.mjs';

const base = process.env.RSF_BASE;
const keys = { admin: process.env.RSF_ADMIN_KEY, auditor: process.env.RSF_AUDITOR_KEY, client: process.env.RSF_CLIENT_KEY };
const shots = process.env.RSF_SHOTS;
const golden = process.env.RSF_GOLDEN;
fs.mkdirSync(shots, { recursive: true });

const results = [];
async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--font-render-hinting=none'] });

// Every page records what it asked for: the console must never leave its origin.
const foreign = [];
const pageErrors = [];
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return page;
}
async function signIn(page, key) {
  await page.goto(`${base}/console/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
}
// Opens a section from the navigation; prints how long it took to show (data included).
async function show(page, name, heading) {
  const started = Date.now();
  await page.getByRole('navigation').getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  console.log(`     ${name}: shown in ${Date.now() - started} ms`);
}

// Screenshot of the whole page; non-blank always; against the golden one when there is one.
async function shoot(page, name, { compare = false, mask = [] } = {}) {
  const file = path.join(shots, `${name}.png`);
  const png = await page.screenshot({ path: file, fullPage: false, mask: mask.map((m) => page.locator(m)), maskColor: '#ff00ff', animations: 'disabled' });
  const img = decodePng(png);
  const colours = new Set();
  for (let i = 0; i < img.data.length; i += 4 * 97) colours.add((img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2]);
  assert.ok(colours.size > 8, `${name}: the screenshot looks blank (${colours.size} colours)`);
  if (!compare) return;
  const ref = path.join(golden, `${name}.png`);
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(ref)) {
    fs.mkdirSync(golden, { recursive: true });
    fs.copyFileSync(file, ref);
    console.log(`     wrote golden screenshot ${ref}`);
    return;
  }
  const diff = comparePng(fs.readFileSync(ref), png, { channelTolerance: 64 });
  if (diff.fraction > 0.03) {
    fs.writeFileSync(path.join(shots, `${name}.diff.png`), diff.png);
    assert.fail(`${name}: ${(diff.fraction * 100).toFixed(2)}% of pixels differ from ${ref} (at most 3%); see ${shots}/${name}.diff.png`);
  }
}

// WCAG 2 contrast of every visible text node's colour against the background it sits on.
async function contrastProblems(page) {
  return page.evaluate(() => {
    const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map((x) => parseFloat(x)); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
    const lum = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
    const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
    const problems = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || el.closest('svg') || el.closest('[hidden]')) continue;
      const rect = el.getBoundingClientRect();
      const st = getComputedStyle(el);
      if (rect.width === 0 || rect.height === 0 || st.visibility === 'hidden' || st.display === 'none' || st.clip === 'rect(0px, 0px, 0px, 0px)') continue;
      const fg = parse(st.color), bg = background(el);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && parseInt(st.fontWeight, 10) >= 700);
      if (ratio < (large ? 3 : 4.5)) problems.push(`${el.tagName.toLowerCase()} "${n.textContent.trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
    }
    return problems;
  });
}
// Every form control has an accessible name; every image (SVG chart) has a label.
async function labelProblems(page) {
  return page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.closest('[hidden]') || el.type === 'hidden') continue;
      if (!(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))) out.push(`${el.tagName} #${el.id}`);
    }
    for (const el of document.querySelectorAll('svg[role="img"]')) if (!el.getAttribute('aria-label')) out.push('svg without aria-label');
    for (const el of document.querySelectorAll('button')) if (!el.textContent.trim() && !el.getAttribute('aria-label')) out.push('button without a name');
    return out;
  });
}
async function checkA11y(page, where) {
  const labels = await labelProblems(page);
  assert.deepEqual(labels, [], `${where}: controls without labels`);
  const contrast = await contrastProblems(page);
  assert.deepEqual(contrast, [], `${where}: text below WCAG AA contrast`);
}

const page = await newPage();

await test('the sign-in page is served offline, with a strict CSP, and its form is labelled', async () => {
  const res = await page.goto(`${base}/console/`);
  assert.equal(res.status(), 200);
  const csp = res.headers()['content-security-policy'];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  await page.getByLabel('API key').waitFor();
  await checkA11y(page, 'sign-in');
  await shoot(page, 'signin', { compare: true });
});

await test('a client key is refused with a clear message', async () => {
  await page.getByLabel('API key').fill(keys.client);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('This key is a client key').waitFor();
  await page.getByLabel('API key').fill('rsf-not-a-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(/Sign-in failed/).waitFor();
});

await test('keyboard only: skip link, sign in, move through the sections', async () => {
  await page.goto(`${base}/console/`);
  await page.getByLabel('API key').waitFor();
  // The key field has focus on arrival; the skip link comes before it.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'key');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'key');
  await page.keyboard.type(keys.auditor);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  // Tab until the Ledger link has focus, then follow it with Enter.
  let reached = false;
  for (let i = 0; i < 30 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement.textContent === 'Ledger');
  }
  assert.ok(reached, 'the Ledger link is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Ledger' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
});

await test('auditor: overview shows the decision, the level per domain and the safeguards', async () => {
  await signIn(page, keys.auditor);
  await page.getByText('auditor (read-only)').waitFor();
  const card = page.locator('article.card').first();
  await card.getByRole('heading', { name: 'frontier-1' }).waitFor();
  await card.getByText('deploy restricted').waitFor();
  await card.getByText('Chemical, biological, radiological and nuclear weapons').waitFor();
  await card.getByText('early warning: cbrn-uplift').waitFor();
  assert.ok(await card.getByRole('img', { name: /level asl2/ }).count() >= 1);
  await card.getByRole('cell', { name: 'Published usage policy and terms of service' }).waitFor();
  await card.getByText('✓ in place').waitFor();
  await checkA11y(page, 'overview');
  await shoot(page, 'overview', { compare: true });
});

await test('auditor: the assessment charts every metric against its threshold', async () => {
  await show(page, 'Assessment', 'Assessment of frontier-1');
  await page.getByText(/the assessment's SHA-256 is the one the signed decision names/).waitFor();
  await page.getByText("early warning on threshold 'cbrn-uplift'").waitFor();
  const charts = page.locator('svg[role="img"]');
  assert.ok(await charts.count() >= 3, 'one chart per metric');
  assert.match(await charts.first().getAttribute('aria-label'), /against threshold/);
  await checkA11y(page, 'assessment');
  await shoot(page, 'assessment', { compare: true });
});

await test('auditor: evaluation runs from the ledger, and a comparison of two', async () => {
  await show(page, 'Evaluations', 'Evaluations');
  await page.getByRole('cell', { name: 'basic_qa.accuracy' }).first().waitFor();
  await page.getByLabel('Run B').selectOption({ index: 0 });
  const rows = page.locator('#cmp-out tbody tr');
  assert.ok(await rows.count() >= 1);
  await page.locator('#cmp-out').getByText('overlap (no clear change)').first().waitFor();
  await checkA11y(page, 'evaluations');
  await shoot(page, 'evaluations', { mask: ['td:nth-child(2)'] });
});

await test('auditor: the gateway view is read-only and charts the traffic', async () => {
  await show(page, 'Gateway', 'Gateway');
  assert.equal(await page.getByRole('button', { name: /Halt/ }).count(), 0, 'no kill switch for auditors');
  await page.getByText('Auditor keys are read-only.').waitFor();
  await page.getByRole('cell', { name: 'vetted-researcher' }).first().waitFor();
  const chart = page.getByRole('img', { name: /Requests per 10 s/ });
  await chart.waitFor();
  assert.match(await chart.getAttribute('aria-label'), /[1-9]\d* requests/, 'the demo traffic is in the chart');
  await page.getByLabel('Tier').selectOption('vetted-researcher');
  assert.match(await page.getByRole('img', { name: /Requests per 10 s/ }).getAttribute('aria-label'), /for vetted-researcher: [1-9]\d* requests/);
  await checkA11y(page, 'gateway');
  await shoot(page, 'gateway');
});

await test('auditor: incidents with timelines and clocks, drills with their timings', async () => {
  await show(page, 'Incidents and drills', 'Incidents and drills');
  const first = page.locator('table').first().getByRole('button').first();
  await first.click();
  await page.getByRole('heading', { level: 3, name: 'Timeline' }).waitFor();
  await page.getByRole('heading', { level: 2, name: 'Regulatory clocks' }).waitFor();
  assert.ok(await page.getByRole('cell', { name: 'passed' }).count() >= 3, 'the demo\'s three drills passed');
  await page.getByRole('img', { name: /Drill timings/ }).waitFor();
  // Auditors see digests, never the reporters' words.
  const text = await page.locator('#view').innerText();
  assert.ok(!/demo flaw report/i.test(text), 'no flaw-report text for auditors');
  await checkA11y(page, 'incidents');
  await shoot(page, 'incidents');
});

await test('auditor: an inclusion proof is verified in the browser against the signed checkpoint', async () => {
  await show(page, 'Ledger', 'Ledger');
  await page.getByLabel('Type', { exact: true }).selectOption('assessment');
  await page.getByRole('button', { name: /^Verify entry/ }).first().click();
  await page.locator('#verify-result').getByText(/Verified in this browser|Verification failed/).waitFor();
  assert.match(await page.locator('#verify-result').innerText(), /Verified in this browser: entry \d+/);
  await page.locator('#verify-result pre').getByText('deploy_restricted').waitFor();
  await checkA11y(page, 'ledger');
  await shoot(page, 'ledger');
});

await test('a tampered entry or a foreign verifier key fails verification', async () => {
  await page.route('**/admin/v1/ledger/proof/**', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const bytes = Buffer.from(body.entry_base64, 'base64');
    const text = bytes.toString('utf8').replace('deploy_restricted', 'deploy_unlimited!');
    body.entry_base64 = Buffer.from(text, 'utf8').toString('base64');
    await route.fulfill({ response: res, json: body });
  });
  await page.getByRole('button', { name: /^Verify entry/ }).first().click();
  await page.getByText(/Verification failed for entry \d+: the proof leads to root/).waitFor();
  await page.unroute('**/admin/v1/ledger/proof/**');
  // A well-formed key of someone else: the checkpoint's signature does not verify.
  await page.getByLabel(/Verifier key/).fill('demo.rsf.example/ledger+00000000+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB');
  await page.getByRole('button', { name: /^Verify entry/ }).first().click();
  await page.getByText(/Verification failed.*key hash does not match/).waitFor();
});

await test('admin: the kill switch asks for confirmation, halts the model and logs it', async () => {
  const admin = await newPage();
  await signIn(admin, keys.admin);
  await show(admin, 'Gateway', 'Gateway');
  await admin.getByRole('button', { name: 'Halt frontier-1' }).click();
  const dialog = admin.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByLabel(/Reason/).fill('console e2e test');
  await dialog.getByLabel(/to confirm/).fill('frontier-2');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await dialog.getByText('Type frontier-1 exactly to confirm.').waitFor();
  await checkA11y(admin, 'kill switch dialog');
  await shoot(admin, 'kill-switch-dialog');
  await dialog.getByLabel(/to confirm/).fill('frontier-1');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await admin.getByText('halted: console e2e test').waitFor();
  // The gateway refuses the model now, and the ledger has the admin action.
  const status = await (await fetch(`${base}/admin/v1/status`, { headers: { Authorization: `Bearer ${keys.admin}` } })).json();
  assert.ok(status.halts.some((x) => x.name === 'frontier-1'), 'halted in the gateway');
  const chat = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { Authorization: `Bearer ${keys.client}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'frontier-1', messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 8 }) });
  assert.equal(chat.status, 503);
  let logged = false;
  for (let i = 0; i < 40 && !logged; i++) {
    const entries = await (await fetch(`${base}/admin/v1/ledger/entries?type=gateway.admin&limit=20`, { headers: { Authorization: `Bearer ${keys.auditor}` } })).json();
    for (const e of entries.entries) {
      const full = await (await fetch(`${base}/admin/v1/ledger/entries/${e.index}`, { headers: { Authorization: `Bearer ${keys.auditor}` } })).json();
      if (full.entry?.body?.action === 'model.halt' && full.entry.body.params?.reason === 'console e2e test') logged = true;
    }
    if (!logged) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(logged, 'the halt is in the published ledger');
  // Resume with the keyboard: the button, Enter, type, Enter.
  await admin.getByRole('button', { name: 'Resume frontier-1' }).focus();
  await admin.keyboard.press('Enter');
  await admin.keyboard.type('resume after test');
  await admin.keyboard.press('Tab');
  await admin.keyboard.type('frontier-1');
  await admin.keyboard.press('Enter');
  await admin.getByRole('button', { name: 'Halt frontier-1' }).waitFor();
  await admin.context().close();
});

await test('an auditor key cannot use the kill switch through the API either', async () => {
  const r = await fetch(`${base}/admin/v1/models/frontier-1/halt`, { method: 'POST', headers: { Authorization: `Bearer ${keys.auditor}` }, body: '{}' });
  assert.equal(r.status, 403);
});

await test('nothing was loaded from outside the gateway, and no script error happened', async () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(pageErrors, []);
});

await browser.close();
const failed = results.filter((r) => !r.ok);
console.log(`${results.length - failed.length} of ${results.length} console tests passed; screenshots in ${shots}`);
process.exit(failed.length ? 1 : 0);
