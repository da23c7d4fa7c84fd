// rsf console: one page, no dependencies, nothing loaded from elsewhere. Data comes from the
// gateway's admin API with the key the user signs in with (admin: may use the kill switch;
// auditor: read-only, sees digests instead of content). docs/console.md describes the views.
'use strict';

const KEY = 'rsf-console-key';
const state = { overview: null, view: 'overview' };

// ---------------------------------------------------------------- DOM helpers (no innerHTML)
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const $ = (id) => document.getElementById(id);
function announce(text) { $('status').textContent = text; }
function fmtNum(x, d = 3) { return x === undefined || x === null ? '—' : Number(x).toFixed(d).replace(/\.?0+$/, ''); }
function fmtTime(t) { return t ? t.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—'; }
function table(headers, rows, caption) {
  return h('table', {},
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col', class: x.num ? 'num' : null }, x.label ?? x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { class: headers[i]?.num ? 'num' : null }, c))))));
}
function outcomeClass(o) {
  if (o === 'deploy') return 'ok';
  if (o === 'deploy_restricted') return 'warn';
  return 'bad';
}
function yesNo(v, yes = 'yes', no = 'no') { return h('span', { class: v ? 'ok' : 'bad' }, v ? `✓ ${yes}` : `✗ ${no}`); }

// ---------------------------------------------------------------- API
class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
async function api(path, options = {}) {
  const key = sessionStorage.getItem(KEY);
  const res = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...(options.headers || {}) },
  });
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  if (!res.ok) {
    const msg = body?.error?.message || `HTTP ${res.status}`;
    if (res.status === 401) signOut(msg);
    throw new ApiError(res.status, msg);
  }
  return body;
}
const isAdmin = () => state.overview?.role === 'admin';

// ---------------------------------------------------------------- sign-in and navigation
function signOut(message) {
  sessionStorage.removeItem(KEY);
  state.overview = null;
  $('view').hidden = true;
  $('nav').hidden = true;
  $('who').hidden = true;
  $('framework').textContent = '';
  $('signin-view').hidden = false;
  $('signin-error').textContent = message || '';
  $('key').focus();
}

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    state.overview = await api('/admin/v1/console/overview');
  } catch (e) {
    sessionStorage.removeItem(KEY);
    $('signin-error').textContent = e.status === 403
      ? 'This key is a client key: the console needs an admin or auditor key.'
      : `Sign-in failed: ${e.message}`;
    return false;
  }
  const fw = state.overview.framework;
  $('framework').textContent = `${fw.name || fw.id} ${fw.version}`;
  $('role').textContent = state.overview.role === 'admin' ? 'admin' : 'auditor (read-only)';
  $('who').hidden = false;
  $('nav').hidden = false;
  $('signin-view').hidden = true;
  $('view').hidden = false;
  return true;
}

const views = {};
async function route() {
  if (!sessionStorage.getItem(KEY)) return signOut();
  if (!state.overview && !(await signIn(sessionStorage.getItem(KEY)))) return;
  const [, name, arg] = (location.hash || '#/overview').match(/^#\/([a-z]+)\/?(.*)$/) || [, 'overview', ''];
  const view = views[name] ? name : 'overview';
  state.view = view;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const root = $('view');
  root.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const content = await views[view](decodeURIComponent(arg || ''));
    root.replaceChildren(content);
    document.title = `${root.querySelector('h1')?.textContent || 'rsf'} · rsf console`;
    announce(`${document.title} loaded`);
  } catch (e) {
    root.replaceChildren(h('h1', {}, 'Could not load this view'), h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

// ---------------------------------------------------------------- Overview
views.overview = async () => {
  const o = await api('/admin/v1/console/overview');
  state.overview = o;
  const levels = o.levels.slice().sort((a, b) => a.rank - b.rank);
  const halted = new Map(o.halts.map((x) => [`${x.kind}:${x.name}`, x]));
  const cards = o.models.map((m) => {
    const d = m.decision;
    const halt = halted.get(`model:${m.name}`) || halted.get(`model:${m.id}`);
    const domains = (m.domains || []).map((dm) => [
      dm.name || dm.id,
      h('div', { class: 'ladder', role: 'img', 'aria-label': `level ${dm.level} of ${levels.map((l) => l.id).join(', ')}` },
        levels.map((l) => h('span', { class: l.rank <= (levels.find((x) => x.id === dm.level)?.rank ?? -1) ? 'reached' : null }, l.id))),
      dm.crossed.length ? h('span', { class: 'bad' }, `crossed: ${dm.crossed.join(', ')}`)
        : dm.alerts.length ? h('span', { class: 'warn' }, `early warning: ${dm.alerts.join(', ')}`) : h('span', { class: 'ok' }, 'below'),
    ]);
    const safeguards = m.safeguards.map((sg) => [
      sg.name,
      sg.assessed_in_place === undefined ? h('span', { class: 'muted' }, 'not assessed') : yesNo(sg.assessed_in_place, 'in place', 'missing'),
      sg.serving === undefined ? h('span', { class: 'muted' }, `by ${sg.provided_by}`) : h('span', {}, yesNo(sg.serving, 'on', 'off'), ' ', h('span', { class: 'muted' }, sg.serving_detail)),
    ]);
    return h('article', { class: 'card', 'aria-labelledby': `m-${m.id}` },
      h('h2', { id: `m-${m.id}` }, m.id),
      h('p', {}, h('span', { class: `pill ${outcomeClass(d.outcome)}` }, d.outcome.replace(/_/g, ' ')), ' at level ',
        h('strong', {}, d.level), d.tiers.length ? ` · tiers: ${d.tiers.join(', ')}` : ''),
      halt ? h('p', { class: 'bad' }, `Halted by the kill switch: ${halt.reason || '(no reason)'}`) : null,
      h('p', { class: 'muted' }, `Signed by ${d.signed_roles.join(', ') || 'nobody'} (${d.distinct_roles} of ${d.min_signers} roles needed)`,
        d.final ? ' · final' : ' · NOT final', d.dissents.length ? ` · ${d.dissents.length} dissent(s)` : ''),
      h('h3', {}, 'Level per risk domain'),
      domains.length ? table(['Domain', 'Level', 'Status'], domains, `Levels of ${m.id}`) : h('p', { class: 'muted' }, 'No assessment file is configured for this model.'),
      h('h3', {}, 'Required safeguards'),
      safeguards.length ? table(['Safeguard', 'Assessment', 'Serving'], safeguards, `Safeguards of ${m.id}`) : h('p', { class: 'muted' }, 'None required at this level.'),
      m.assessment ? h('p', {}, h('a', { href: `#/assessment/${encodeURIComponent(m.id)}` }, `Assessment of ${m.id}`)) : null);
  });
  return h('div', {},
    h('h1', {}, 'Overview'),
    h('p', { class: 'muted' }, `Framework ${o.framework.id} ${o.framework.version}`,
      o.framework.accountable_officer ? ` · accountable: ${o.framework.accountable_officer}` : '',
      ` · configuration sha256:${o.config_sha256.slice(0, 16)}…`, o.drill_mode ? ' · drill mode on' : ''),
    h('div', { class: 'cards' }, cards));
};

// ---------------------------------------------------------------- Assessment
function marginChart(mg, label) {
  // One metric against its bound: the axis spans the values involved, the CI as a bar.
  const vals = [mg.bound, mg.value, mg.mean, mg.ci_low, mg.ci_high].filter((x) => typeof x === 'number');
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (lo >= 0 && hi <= 1) { lo = 0; hi = 1; } else { const pad = (hi - lo || 1) * 0.15; lo -= pad; hi += pad; }
  const W = 420, H = 46, L = 10, R = 10;
  const x = (v) => L + ((v - lo) / (hi - lo)) * (W - L - R);
  const parts = [s('line', { x1: L, x2: W - R, y1: 24, y2: 24, stroke: '#9aa5b1' })];
  if (typeof mg.ci_low === 'number' && typeof mg.ci_high === 'number') {
    parts.push(s('rect', { x: x(mg.ci_low), y: 17, width: Math.max(2, x(mg.ci_high) - x(mg.ci_low)), height: 14, fill: '#0b5cad', 'fill-opacity': 0.25, stroke: '#0b5cad' }));
  }
  const point = mg.mean ?? mg.value;
  if (typeof point === 'number') parts.push(s('circle', { cx: x(point), cy: 24, r: 4, fill: '#0b5cad' }));
  parts.push(s('line', { x1: x(mg.bound), x2: x(mg.bound), y1: 8, y2: 40, stroke: '#a40e26', 'stroke-width': 2 }));
  parts.push(s('text', { x: x(mg.bound) + 3, y: 12 }, `${mg.op} ${fmtNum(mg.bound)}`));
  parts.push(s('text', { x: L, y: 44 }, fmtNum(lo, 2)), s('text', { x: W - R, y: 44, 'text-anchor': 'end' }, fmtNum(hi, 2)));
  return s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label }, s('title', {}, label), parts);
}

function statusText(st) {
  const cls = st === 'below' ? 'ok' : st === 'alert' ? 'warn' : st.startsWith('crossed') ? 'bad' : 'muted';
  return h('span', { class: cls }, st.replace(/_/g, ' '));
}

views.assessment = async (arg) => {
  const o = state.overview;
  const withAssessment = o.models.filter((m) => m.assessment);
  if (!withAssessment.length) return h('div', {}, h('h1', {}, 'Assessment'), h('p', {}, 'No served model names its assessment file (models[].assessment in the gateway configuration).'));
  const id = arg && withAssessment.some((m) => m.id === arg) ? arg : withAssessment[0].id;
  const r = await api(`/admin/v1/console/assessment/${encodeURIComponent(id)}`);
  const a = r.assessment;
  const pick = h('select', { id: 'assess-model', onchange: (e) => { location.hash = `#/assessment/${encodeURIComponent(e.target.value)}`; } },
    withAssessment.map((m) => h('option', { value: m.id, selected: m.id === id }, m.id)));
  const thresholds = (a.thresholds || []).map((t) => h('section', { class: 'card', 'aria-labelledby': `t-${t.id}` },
    h('h3', { id: `t-${t.id}` }, `${t.id} `, h('span', { class: 'muted' }, `(${t.domain}, level ${t.level})`)),
    h('p', {}, 'Status: ', statusText(t.status), t.missing_metrics?.length ? h('span', { class: 'warn' }, ` · missing: ${t.missing_metrics.join(', ')}`) : ''),
    (t.margins || []).map((mg) => h('div', {},
      h('div', {}, h('code', {}, mg.metric), ` = ${fmtNum(mg.value)}`, typeof mg.ci_low === 'number' ? ` (CI ${fmtNum(mg.ci_low)}–${fmtNum(mg.ci_high)})` : '',
        ` · threshold ${mg.op} ${fmtNum(mg.bound)}`, typeof mg.distance === 'number' ? ` · margin ${fmtNum(mg.distance)}` : ''),
      marginChart(mg, `${mg.metric}: value ${fmtNum(mg.value)} against threshold ${mg.op} ${fmtNum(mg.bound)}`))),
    (t.alert_margins || []).length ? h('details', {}, h('summary', {}, 'Early-warning lines'),
      t.alert_margins.map((mg) => h('div', {}, h('code', {}, mg.metric), ` ${mg.op} ${fmtNum(mg.bound)}`,
        marginChart(mg, `${mg.metric}: early warning ${mg.op} ${fmtNum(mg.bound)}`)))) : null));
  const d = r.decision;
  return h('div', {},
    h('h1', {}, `Assessment of ${id}`),
    h('div', { class: 'row' }, h('div', {}, h('label', { for: 'assess-model' }, 'Model'), pick)),
    h('p', {}, h('span', { class: `pill ${outcomeClass(a.decision?.outcome)}` }, (a.decision?.outcome || '').replace(/_/g, ' ')),
      ` · level ${a.level} · evaluations of ${fmtTime(a.evals_generated || a.evidence?.generated)}`),
    h('p', { class: 'ok' }, `✓ ${r.verified}`, h('span', { class: 'muted' }, ` (statement sha256:${d.statement_sha256.slice(0, 16)}…)`)),
    h('h2', {}, 'Reasons'),
    h('ol', {}, (a.decision?.reasons || []).map((x) => h('li', {}, x))),
    h('h2', {}, 'Signers and dissent'),
    table(['Signed roles', 'Missing roles', 'Dissent'], [[d.signed_roles.join(', ') || '—', d.missing_roles.join(', ') || '—', d.dissents.join('; ') || 'none']]),
    h('h2', {}, 'Thresholds'),
    h('p', { class: 'legend' }, h('span', {}, h('i', { class: 'sw-ci' }), 'bar: confidence interval, dot: estimate, red line: threshold')),
    h('div', { class: 'cards' }, thresholds));
};

// ---------------------------------------------------------------- Evaluations
function metricsOf(run) { return run.body?.metrics || {}; }
function runLabel(run) { return `#${run.index} ${run.body?.suite || run.subject} · ${run.body?.model?.name || run.body?.model || ''} · ${fmtTime(run.time)}`; }

views.evals = async () => {
  const r = await api('/admin/v1/console/evals');
  const runs = r.runs;
  if (!runs.length) return h('div', {}, h('h1', {}, 'Evaluations'), h('p', {}, 'No evaluation runs (eval.result entries) in the ledger yet.'));
  const rows = [];
  for (const run of runs) {
    for (const [name, m] of Object.entries(metricsOf(run))) {
      rows.push([String(run.index), fmtTime(run.time), run.body?.suite || run.subject, name, fmtNum(m.mean ?? m.value),
        typeof m.ci_low === 'number' ? `${fmtNum(m.ci_low)}–${fmtNum(m.ci_high)}` : '—', String(m.n ?? '—')]);
    }
  }
  const selA = h('select', { id: 'cmp-a' }, runs.map((x, i) => h('option', { value: i, selected: i === 0 }, runLabel(x))));
  const selB = h('select', { id: 'cmp-b' }, runs.map((x, i) => h('option', { value: i, selected: i === Math.min(1, runs.length - 1) }, runLabel(x))));
  const out = h('div', { id: 'cmp-out' });
  const compare = () => {
    const A = runs[selA.value], B = runs[selB.value];
    const ma = metricsOf(A), mb = metricsOf(B);
    const names = [...new Set([...Object.keys(ma), ...Object.keys(mb)])].sort();
    out.replaceChildren(table(['Metric', { label: 'A', num: true }, { label: 'B', num: true }, { label: 'B − A', num: true }, 'Intervals'],
      names.map((n) => {
        const a = ma[n], b = mb[n];
        const va = a?.mean ?? a?.value, vb = b?.mean ?? b?.value;
        const overlap = a && b && typeof a.ci_low === 'number' && typeof b.ci_low === 'number' ? !(a.ci_high < b.ci_low || b.ci_high < a.ci_low) : null;
        return [n, fmtNum(va), fmtNum(vb), typeof va === 'number' && typeof vb === 'number' ? fmtNum(vb - va) : '—',
          overlap === null ? h('span', { class: 'muted' }, 'not comparable') : overlap ? h('span', {}, 'overlap (no clear change)') : h('span', { class: 'warn' }, 'disjoint (a real change)')];
      }), 'Comparison'));
  };
  selA.addEventListener('change', compare);
  selB.addEventListener('change', compare);
  compare();
  return h('div', {},
    h('h1', {}, 'Evaluations'),
    h('p', { class: 'muted' }, `${runs.length} run(s) recorded in the ledger.`),
    table(['Entry', 'Time', 'Suite', 'Metric', { label: 'Estimate', num: true }, 'CI', { label: 'n', num: true }], rows, 'Evaluation runs'),
    h('h2', {}, 'Compare two runs (checkpoints)'),
    h('div', { class: 'row' }, h('div', {}, h('label', { for: 'cmp-a' }, 'Run A'), selA), h('div', {}, h('label', { for: 'cmp-b' }, 'Run B'), selB)),
    out);
};

// ---------------------------------------------------------------- Gateway
function trafficChart(t, tier) {
  const W = 760, H = 190, L = 40, B = 24, T = 10;
  const series = { requests: '#0b5cad', blocked: '#a40e26', flagged: '#8a4600' };
  const pts = t.buckets.map((b) => {
    const out = { requests: 0, blocked: 0, flagged: 0 };
    for (const [name, c] of Object.entries(b.tiers)) {
      if (tier && name !== tier) continue;
      for (const k of Object.keys(out)) out[k] += c[k];
    }
    return out;
  });
  const max = Math.max(1, ...pts.map((p) => p.requests));
  const x = (i) => L + (i / Math.max(1, pts.length - 1)) * (W - L - 10);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const lines = Object.entries(series).map(([k, colour]) => s('polyline', {
    points: pts.map((p, i) => `${x(i).toFixed(1)},${y(p[k]).toFixed(1)}`).join(' '), fill: 'none', stroke: colour, 'stroke-width': 2 }));
  const total = pts.reduce((acc, p) => ({ requests: acc.requests + p.requests, blocked: acc.blocked + p.blocked, flagged: acc.flagged + p.flagged }), { requests: 0, blocked: 0, flagged: 0 });
  const label = `Requests per ${t.bucket_seconds} s over the last hour${tier ? ` for ${tier}` : ''}: ${total.requests} requests, ${total.blocked} blocked, ${total.flagged} flagged`;
  return h('figure', {},
    s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label },
      s('title', {}, label),
      s('line', { x1: L, x2: W - 10, y1: H - B, y2: H - B, stroke: '#9aa5b1' }),
      s('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#9aa5b1' }),
      s('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, max), s('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, 0),
      s('text', { x: L, y: H - 6 }, fmtTime(t.buckets[0]?.start)), s('text', { x: W - 10, y: H - 6, 'text-anchor': 'end' }, 'now'),
      lines),
    h('figcaption', { class: 'legend' }, Object.keys(series).map((k) => h('span', {}, h('i', { class: `sw-${k}` }), `${k} (${total[k]})`)),
      h('span', { class: 'muted' }, total.requests ? `blocked ${fmtNum((100 * total.blocked) / total.requests, 1)}% · flagged ${fmtNum((100 * total.flagged) / total.requests, 1)}%` : 'no traffic yet')));
}

function confirmAction({ text, expect, run }) {
  const dlg = $('confirm');
  $('confirm-text').textContent = text;
  $('confirm-expect').textContent = expect;
  $('confirm-reason').value = '';
  $('confirm-name').value = '';
  $('confirm-error').textContent = '';
  const form = $('confirm-form');
  const onSubmit = async (e) => {
    e.preventDefault();
    if ($('confirm-name').value !== expect) { $('confirm-error').textContent = `Type ${expect} exactly to confirm.`; return; }
    try {
      const result = await run($('confirm-reason').value);
      dlg.close();
      announce(`Done; logged to the ledger as entry ${result.ledger_index}`);
      form.removeEventListener('submit', onSubmit);
      route();
    } catch (err) { $('confirm-error').textContent = err.message; }
  };
  form.addEventListener('submit', onSubmit);
  $('confirm-cancel').onclick = () => { form.removeEventListener('submit', onSubmit); dlg.close(); };
  dlg.showModal();
  $('confirm-reason').focus();
}

views.gateway = async () => {
  const [o, tiers, rollout, traffic] = await Promise.all([
    api('/admin/v1/console/overview'), api('/admin/v1/tiers'), api('/admin/v1/rollout'), api('/admin/v1/console/traffic')]);
  state.overview = o;
  const halted = new Map(o.halts.map((x) => [`${x.kind}:${x.name}`, x]));
  const admin = isAdmin();
  const killRows = o.models.map((m) => {
    const halt = halted.get(`model:${m.name}`);
    const button = !admin ? h('span', { class: 'muted' }, 'read-only') : halt
      ? h('button', { type: 'button', class: 'secondary', onclick: () => confirmAction({
        text: `Resume serving ${m.name}? Requests will be answered again.`, expect: m.name,
        run: () => api(`/admin/v1/models/${encodeURIComponent(m.name)}/resume`, { method: 'POST', body: '{}' }) }) }, `Resume ${m.name}`)
      : h('button', { type: 'button', class: 'danger', onclick: () => confirmAction({
        text: `Halt ${m.name}? New and in-flight requests stop at once, for every tier.`, expect: m.name,
        run: (reason) => api(`/admin/v1/models/${encodeURIComponent(m.name)}/halt`, { method: 'POST', body: JSON.stringify({ reason }) }) }) }, `Halt ${m.name}`);
    return [m.id, halt ? h('span', { class: 'bad' }, `halted: ${halt.reason || ''}`) : h('span', { class: 'ok' }, 'serving'), button];
  });
  const tierRows = (tiers.tiers || []).map((t) => {
    const halt = halted.get(`tier:${t.id}`);
    const button = !admin ? h('span', { class: 'muted' }, 'read-only') : halt
      ? h('button', { type: 'button', class: 'secondary', onclick: () => confirmAction({ text: `Lift the restriction on tier ${t.id}?`, expect: t.id,
        run: () => api(`/admin/v1/tiers/${encodeURIComponent(t.id)}/lift`, { method: 'POST', body: '{}' }) }) }, `Lift ${t.id}`)
      : h('button', { type: 'button', class: 'danger', onclick: () => confirmAction({ text: `Restrict tier ${t.id}? Its keys are refused at once.`, expect: t.id,
        run: (reason) => api(`/admin/v1/tiers/${encodeURIComponent(t.id)}/restrict`, { method: 'POST', body: JSON.stringify({ reason }) }) }) }, `Restrict ${t.id}`);
    return [t.id, (t.models || []).join(', '), t.guard, t.safe_harbour ? 'yes' : 'no', t.auditor ? 'yes' : 'no', String(t.max_tokens),
      t.requests_per_minute ? String(t.requests_per_minute) : '∞', halt ? h('span', { class: 'bad' }, 'restricted') : h('span', { class: 'ok' }, 'open'), button];
  });
  const rolloutBlocks = (rollout.rollout || []).map((r) => {
    let start = 0;
    const W = 600;
    const parts = (r.channels || []).map((c, i) => {
      const w = (c.basis_points / 10000) * W;
      const el = s('rect', { x: start, y: 0, width: w, height: 22, fill: ['#0b5cad', '#8a4600', '#116329', '#6f42c1'][i % 4] });
      start += w;
      return el;
    });
    parts.push(s('rect', { x: start, y: 0, width: W - start, height: 22, fill: '#c9d1d9' }));
    const label = `${r.model}: ${(r.channels || []).map((c) => `${c.name} ${c.version} ${c.basis_points / 100}%`).join(', ')}, stable ${r.stable} for the rest`;
    return h('div', {}, h('h3', {}, r.model), s('svg', { class: 'chart', viewBox: `0 0 ${W} 22`, width: W, height: 22, role: 'img', 'aria-label': label }, s('title', {}, label), parts), h('p', { class: 'muted' }, label));
  });
  const tierSel = h('select', { id: 'traffic-tier' }, h('option', { value: '' }, 'all tiers'), (traffic.tiers || []).map((t) => h('option', { value: t }, t)));
  const chartBox = h('div', {}, trafficChart(traffic, ''));
  tierSel.addEventListener('change', () => chartBox.replaceChildren(trafficChart(traffic, tierSel.value)));
  return h('div', {},
    h('h1', {}, 'Gateway'),
    h('h2', {}, 'Kill switch'),
    h('p', { class: 'muted' }, admin ? 'Each action asks for confirmation, is authenticated with your admin key and is written to the ledger before it takes effect.' : 'Auditor keys are read-only.'),
    table(['Model', 'State', 'Action'], killRows, 'Models'),
    h('h2', {}, 'Access tiers'),
    table(['Tier', 'Models', 'Guard', 'Safe harbour', 'Auditor', { label: 'Max tokens', num: true }, { label: 'Requests/min', num: true }, 'State', 'Action'], tierRows, 'Tiers'),
    h('h2', {}, 'Rollout'),
    rolloutBlocks.length ? rolloutBlocks : h('p', { class: 'muted' }, 'No staged rollout is configured.'),
    h('h2', {}, 'Traffic and guard verdicts'),
    h('div', { class: 'row' }, h('div', {}, h('label', { for: 'traffic-tier' }, 'Tier'), tierSel)),
    chartBox);
};

// ---------------------------------------------------------------- Incidents and drills
function drillChart(drills) {
  const runs = drills.filter((d) => d.detect).slice().sort((a, b) => (a.started < b.started ? -1 : 1)).slice(-30);
  const W = 760, H = 170, L = 40, B = 22, T = 10;
  const get = (d, k) => d[k]?.seconds;
  const max = Math.max(0.001, ...runs.flatMap((d) => ['detect', 'contain', 'notify'].map((k) => get(d, k) ?? 0)));
  const x = (i) => L + (i / Math.max(1, runs.length - 1)) * (W - L - 10);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const colours = { detect: '#0b5cad', contain: '#a40e26', notify: '#116329' };
  const label = `Drill timings (seconds) over the last ${runs.length} drill(s), most recent right`;
  return h('figure', {}, s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label },
    s('title', {}, label),
    s('line', { x1: L, x2: W - 10, y1: H - B, y2: H - B, stroke: '#9aa5b1' }),
    s('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, fmtNum(max, 2)), s('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, 0),
    Object.entries(colours).map(([k, c]) => s('polyline', { points: runs.map((d, i) => `${x(i).toFixed(1)},${y(get(d, k) ?? 0).toFixed(1)}`).join(' '), fill: 'none', stroke: c, 'stroke-width': 2 }))),
  h('figcaption', { class: 'legend' }, Object.keys(colours).map((k) => h('span', {}, h('i', { class: `sw-${k}` }), k))));
}

views.incidents = async (arg) => {
  const [inc, clocks, drills] = await Promise.all([api('/admin/v1/incidents'), api('/admin/v1/clocks'), api('/admin/v1/drills')]);
  const list = inc.incidents || [];
  const detail = h('div', { id: 'incident-detail' });
  const show = async (id) => {
    const x = await api(`/admin/v1/incidents/${encodeURIComponent(id)}`);
    const i = x.incident || x;
    detail.replaceChildren(h('section', { class: 'card', 'aria-labelledby': 'inc-title' },
      h('h2', { id: 'inc-title' }, `${i.id}: ${i.title}`),
      h('p', {}, `${i.kind} · ${i.severity} · ${i.state}`, i.drill ? ` · drill ${i.drill}` : '', i.runbook ? ` · runbook ${i.runbook}` : ''),
      h('p', {}, 'Summary: ', typeof i.summary === 'object' ? h('code', {}, `sha256:${i.summary?.sha256 || ''}`) : i.summary || '—'),
      h('h3', {}, 'Timeline'),
      table(['Time', 'Actor', 'What', 'Detail'], (i.timeline || []).map((t) => [fmtTime(t.time), t.actor, t.what,
        [t.detail, t.text ? (typeof t.text === 'object' ? ` (text sha256:${(t.text.sha256 || '').slice(0, 12)}…)` : ` — ${t.text}`) : ''].join('')]), 'Timeline')));
  };
  const rows = list.map((i) => [
    h('button', { type: 'button', class: 'secondary', onclick: () => show(i.id) }, i.id), i.title, i.kind, i.severity, i.state,
    i.drill ? h('span', { class: 'muted' }, 'drill') : 'real', fmtTime(i.opened)]);
  const duties = (clocks.duties || []).map((d) => [d.incident, d.obligation, d.authority || '', fmtTime(d.due),
    d.status === 'overdue' ? h('span', { class: 'bad' }, 'overdue') : d.status === 'filed' ? h('span', { class: 'ok' }, 'filed') : h('span', { class: 'warn' }, d.status),
    d.seconds_left !== undefined ? `${fmtNum(d.seconds_left / 3600, 1)} h` : '—']);
  const drillRows = (drills.drills || []).map((d) => [d.id, d.scenario, d.passed ? h('span', { class: 'ok' }, 'passed') : h('span', { class: 'bad' }, 'failed'),
    fmtNum(d.detect?.seconds), fmtNum(d.contain?.seconds), fmtNum(d.notify?.seconds), fmtTime(d.started)]);
  const page = h('div', {},
    h('h1', {}, 'Incidents and drills'),
    h('h2', {}, 'Incidents'),
    rows.length ? table(['Id', 'Title', 'Kind', 'Severity', 'State', 'Real or drill', 'Opened'], rows, 'Incidents') : h('p', { class: 'muted' }, 'No incidents.'),
    detail,
    h('h2', {}, 'Regulatory clocks'),
    duties.length ? table(['Incident', 'Obligation', 'Authority', 'Due', 'Status', { label: 'Left', num: true }], duties, 'Clocks') : h('p', { class: 'muted' }, 'No clocks are running.'),
    h('h2', {}, 'Drills'),
    drillRows.length ? [drillChart(drills.drills), table(['Drill', 'Scenario', 'Result', { label: 'Detect s', num: true }, { label: 'Contain s', num: true }, { label: 'Notify s', num: true }, 'Started'], drillRows, 'Drills')]
      : h('p', { class: 'muted' }, 'No drills have run.'));
  if (arg) show(arg);
  return page;
};

// ---------------------------------------------------------------- Ledger and in-browser verification
const enc = new TextEncoder();
function hexToBytes(hex) { const out = new Uint8Array(hex.length / 2); for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16); return out; }
function b64ToBytes(b64) { const bin = atob(b64); const out = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i); return out; }
function toHex(bytes) { return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(''); }
function concat(...parts) { const n = parts.reduce((a, p) => a + p.length, 0); const out = new Uint8Array(n); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; }
async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)); }
const leafHash = (entry) => sha256(concat(new Uint8Array([0]), entry));
const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

// RFC 9162 §2.1.3.2: the root that an inclusion proof implies.
async function rootFromProof(index, size, leaf, path) {
  if (index >= size) throw new Error(`index ${index} is beyond the tree size ${size}`);
  let fn = BigInt(index), sn = BigInt(size) - 1n, r = leaf;
  for (const p of path) {
    if (sn === 0n) throw new Error('the proof is longer than the tree allows');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) { while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('the proof is shorter than the tree needs');
  return r;
}

// C2SP signed note + tlog-checkpoint: verify the signature with the verifier key, read the root.
async function openCheckpoint(note, vkey) {
  // name+hash+base64: the name holds no '+', the base64 may.
  const v = vkey.trim(), i = v.indexOf('+'), j = v.indexOf('+', i + 1);
  const [name, hashHex, keyB64] = i > 0 && j > i ? [v.slice(0, i), v.slice(i + 1, j), v.slice(j + 1)] : [];
  if (!name || !hashHex || !keyB64) throw new Error('the verifier key must look like name+hash+base64');
  const keyBytes = b64ToBytes(keyB64);
  if (keyBytes.length !== 33 || keyBytes[0] !== 1) throw new Error('the verifier key is not an Ed25519 note key');
  const keyHash = (await sha256(concat(enc.encode(name), new Uint8Array([10]), keyBytes))).slice(0, 4);
  if (toHex(keyHash) !== hashHex) throw new Error('the verifier key hash does not match its name and key');
  const split = note.indexOf('\n\n');
  if (split < 0) throw new Error('the checkpoint is not a signed note');
  const text = note.slice(0, split + 1);
  const pub = await crypto.subtle.importKey('raw', keyBytes.slice(1), { name: 'Ed25519' }, false, ['verify']);
  let ok = false;
  for (const line of note.slice(split + 2).split('\n')) {
    const m = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!m || m[1] !== name) continue;
    const sig = b64ToBytes(m[2]);
    if (toHex(sig.slice(0, 4)) !== hashHex) continue;
    ok = ok || await crypto.subtle.verify({ name: 'Ed25519' }, pub, sig.slice(4), enc.encode(text));
  }
  if (!ok) throw new Error(`no valid signature by ${name} on the checkpoint`);
  const lines = text.split('\n');
  return { origin: lines[0], size: Number(lines[1]), root: b64ToBytes(lines[2]) };
}

async function verifyEntry(index, vkey) {
  const p = await api(`/admin/v1/ledger/proof/${index}`);
  const entry = b64ToBytes(p.entry_base64);
  const cp = await openCheckpoint(p.checkpoint, vkey);
  const leaf = await leafHash(entry);
  const root = await rootFromProof(p.index, cp.size, leaf, p.path.map(hexToBytes));
  if (toHex(root) !== toHex(cp.root)) throw new Error(`the proof leads to root ${toHex(root).slice(0, 16)}…, but the signed checkpoint says ${toHex(cp.root).slice(0, 16)}…`);
  return { cp, leaf, entry: new TextDecoder().decode(entry) };
}

views.ledger = async () => {
  const [lg, list] = await Promise.all([api('/admin/v1/ledger'), api('/admin/v1/ledger/entries?limit=100')]);
  const vkey = h('input', { id: 'vkey', type: 'text', value: lg.verifier_key, spellcheck: 'false' });
  const typeSel = h('select', { id: 'entry-type' }, h('option', { value: '' }, 'every type but request records'),
    [...new Set(list.entries.map((e) => e.type))].sort().map((t) => h('option', { value: t }, t)));
  const result = h('div', { class: 'verify-result', id: 'verify-result', role: 'status' });
  const verify = async (index) => {
    result.replaceChildren(h('p', { class: 'muted' }, `Verifying entry ${index}…`));
    try {
      const v = await verifyEntry(index, vkey.value);
      result.replaceChildren(h('p', { class: 'ok' }, `✓ Verified in this browser: entry ${index} (leaf ${toHex(v.leaf).slice(0, 16)}…) is in the log ${v.cp.origin} of ${v.cp.size} entries, whose root ${toHex(v.cp.root).slice(0, 16)}… is signed by ${v.cp.origin}.`),
        h('pre', {}, v.entry));
    } catch (e) {
      result.replaceChildren(h('p', { class: 'bad', role: 'alert' }, `✗ Verification failed for entry ${index}: ${e.message}`));
    }
  };
  const body = h('tbody', {});
  const fill = (entries) => body.replaceChildren(...entries.map((e) => h('tr', {},
    h('td', { class: 'num' }, e.index), h('td', {}, e.type), h('td', {}, h('code', {}, e.subject)), h('td', {}, fmtTime(e.time)),
    h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => verify(e.index), 'aria-label': `Verify entry ${e.index}` }, 'Verify')))));
  fill(list.entries);
  typeSel.addEventListener('change', async () => fill((await api(`/admin/v1/ledger/entries?limit=100${typeSel.value ? `&type=${encodeURIComponent(typeSel.value)}` : ''}`)).entries));
  return h('div', {},
    h('h1', {}, 'Ledger'),
    table(['Origin', { label: 'Entries in the checkpoint', num: true }, { label: 'Awaiting a checkpoint', num: true }, 'Root hash'],
      [[lg.origin, String(lg.size), String(lg.pending), h('code', {}, lg.root_hash)]], 'Ledger summary'),
    h('h2', {}, 'Signed checkpoint'),
    h('pre', {}, lg.checkpoint),
    h('label', { for: 'vkey' }, 'Verifier key (replace it with the one you trust; proofs are checked against it here, in the browser)'),
    vkey,
    result,
    h('h2', {}, 'Entries'),
    h('div', { class: 'row' }, h('div', {}, h('label', { for: 'entry-type' }, 'Type'), typeSel)),
    h('table', {}, h('caption', { class: 'visually-hidden' }, 'Ledger entries'),
      h('thead', {}, h('tr', {}, ['Index', 'Type', 'Subject', 'Time', 'Proof'].map((x) => h('th', { scope: 'col' }, x)))), body));
};

// ---------------------------------------------------------------- start
document.addEventListener('DOMContentLoaded', () => {
  $('signin').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (await signIn($('key').value.trim())) {
      $('key').value = '';
      if (!location.hash) location.hash = '#/overview'; else route();
      $('main').focus();
    }
  });
  $('signout').addEventListener('click', () => { signOut('Signed out.'); });
  window.addEventListener('hashchange', route);
  route();
});
