// Users: the whole list is fetched once (and again on users_changed), filtered, sorted and
// paged in the browser, so only one page of rows exists in the DOM even with 10,000 users.
// Live speed and connection cells are updated in place every second; a user missing from
// the live view shows 0.
import { api, enc } from './api.js';
import { fill, fmtBytes, fmtSpeed, h, modal, setText, toast } from './dom.js';
import { t } from './i18n.js';
import { live, subscribe } from './live.js';
import { cardDialog, historyDialog, userDialog } from './user_dialogs.js';

const PAGE = 50;
const S = { users: [], q: '', status: '', sort: 'username', dir: 1, page: 0, selected: new Set() };
let els = null;
let unsubscribe = null;
let reloadTimer = null;

const liveOf = (name) => (live.last && live.last.users && live.last.users[name]) || { up: 0, down: 0, conns: 0 };
const KEYS = {
  username: (u) => u.username, status: (u) => u.status, used: (u) => u.used_bytes, quota: (u) => u.quota_bytes,
  expiry: (u) => u.expires_on || '9999', rate: (u) => u.rate_kbps, created: (u) => u.created_at,
  speed: (u) => { const l = liveOf(u.username); return l.up + l.down; }, conns: (u) => liveOf(u.username).conns,
};

function visible() {
  const q = S.q.toLowerCase();
  const key = KEYS[S.sort];
  return S.users
    .filter((u) => (!S.status || u.status === S.status) && (!q || u.username.includes(q) || (u.note || '').toLowerCase().includes(q)))
    .sort((a, b) => { const x = key(a); const y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * S.dir; });
}

async function act(method, path, body, okText) {
  try { await api(method, path, body); toast(okText || t('done')); await load(); }
  catch (e) { toast(e.message, true); }
}

async function askDays() {
  const input = h('input', { type: 'number', min: 1, max: 36500, value: 30, id: 'renew-days' });
  const ok = await modal(t('renew'), h('label', {}, t('days'), input), [
    { label: t('cancel'), value: false }, { label: t('confirm'), value: true, id: 'renew-ok' }]);
  return ok ? Number(input.value) : null;
}

async function confirmDelete(names) {
  return modal(t('delete'), h('p', {}, `${t('confirm_delete')} ${names.join(', ')}`), [
    { label: t('cancel'), value: false }, { label: t('delete'), value: true, cls: 'danger', id: 'delete-ok' }]);
}

function actions(u) {
  const n = enc(u.username);
  const b = (key, fn, cls) => h('button', { type: 'button', class: `small ${cls || ''}`, dataset: { act: key }, onclick: fn }, t(key));
  return h('div', { class: 'actions' },
    b('kick', () => act('POST', `/api/users/${n}/kick`)),
    b('card', () => cardDialog(u)),
    b('history', () => historyDialog(u)),
    b('edit', () => userDialog(u).then((c) => c && load())),
    u.status === 'paused' ? b('resume', () => act('POST', `/api/users/${n}/resume`)) : b('pause', () => act('POST', `/api/users/${n}/pause`)),
    b('renew', async () => { const d = await askDays(); if (d) act('POST', `/api/users/${n}/renew`, { days: d }); }),
    b('reset', () => act('POST', `/api/users/${n}/reset-traffic`)),
    b('delete', async () => { if (await confirmDelete([u.username])) act('DELETE', `/api/users/${n}`); }, 'danger'));
}

function usage(u) {
  const pctv = u.quota_bytes ? Math.min(100, (100 * u.used_bytes) / u.quota_bytes) : 0;
  return h('div', { class: 'usage' },
    h('div', { class: 'bar' }, h('div', { class: `fill ${pctv > 90 ? 'bad' : ''}`, style: { width: `${pctv.toFixed(1)}%` } })),
    h('small', {}, `${fmtBytes(u.used_bytes)} / ${u.quota_bytes ? fmtBytes(u.quota_bytes) : '∞'}`));
}

function row(u) {
  const l = liveOf(u.username);
  const check = h('input', { type: 'checkbox', checked: S.selected.has(u.username), onchange: (e) => {
    if (e.target.checked) S.selected.add(u.username); else S.selected.delete(u.username);
    setText(els.count, `${S.selected.size} ${t('selected')}`);
  } });
  return h('tr', { dataset: { user: u.username } },
    h('td', {}, check),
    h('td', { class: 'c-name' }, u.username, u.note ? h('small', { class: 'note' }, u.note) : null),
    h('td', {}, h('span', { class: `badge st-${u.status}` }, t(u.status))),
    h('td', {}, usage(u)),
    h('td', {}, u.expires_on || t('never')),
    h('td', { class: 'c-speed' }, `↑${fmtSpeed(l.up)} ↓${fmtSpeed(l.down)}`),
    h('td', { class: 'c-conns' }, l.conns),
    h('td', {}, actions(u)));
}

function draw() {
  if (!els) return;
  const list = visible();
  const pages = Math.max(1, Math.ceil(list.length / PAGE));
  S.page = Math.min(S.page, pages - 1);
  fill(els.body, list.slice(S.page * PAGE, (S.page + 1) * PAGE).map(row));
  setText(els.pageInfo, `${S.page + 1} / ${pages} (${list.length})`);
  setText(els.count, `${S.selected.size} ${t('selected')}`);
}

function tick() {
  if (!els) return;
  for (const tr of els.body.children) {
    const l = liveOf(tr.dataset.user);
    setText(tr.querySelector('.c-speed'), `↑${fmtSpeed(l.up)} ↓${fmtSpeed(l.down)}`);
    setText(tr.querySelector('.c-conns'), l.conns);
  }
}

async function load() {
  try { S.users = await api('GET', '/api/users'); } catch { return; }
  const names = new Set(S.users.map((u) => u.username));
  for (const n of [...S.selected]) if (!names.has(n)) S.selected.delete(n);
  draw();
}

async function batch(action) {
  const usernames = [...S.selected];
  if (!usernames.length) return;
  const body = { action, usernames };
  if (action === 'renew') { const d = await askDays(); if (!d) return; body.days = d; }
  if (action === 'delete' && !(await confirmDelete(usernames))) return;
  try {
    const r = await api('POST', '/api/users/batch', body);
    toast(`${t('done')}: ${r.done.length}, ${t('failed')}: ${r.failed.length}`, r.failed.length > 0);
  } catch (e) { toast(e.message, true); }
  await load();
}

function header(key, label) {
  return h('th', { class: 'sortable', dataset: { sort: key }, onclick: () => {
    S.dir = S.sort === key ? -S.dir : 1; S.sort = key; draw();
  } }, t(label), S.sort === key ? (S.dir > 0 ? ' ▲' : ' ▼') : '');
}

export function render(root) {
  const body = h('tbody', { id: 'users-body' });
  const status = h('select', { id: 'status-filter', onchange: (e) => { S.status = e.target.value; S.page = 0; draw(); } },
    h('option', { value: '' }, t('all')), ['active', 'paused', 'expired', 'exceeded', 'fused'].map((s) => h('option', { value: s, selected: S.status === s }, t(s))));
  const search = h('input', { id: 'user-search', type: 'search', placeholder: t('search'), value: S.q,
    oninput: (e) => { S.q = e.target.value; S.page = 0; draw(); } });
  const pageInfo = h('span', { class: 'page-info' });
  const count = h('span', {});
  const bb = (key) => h('button', { type: 'button', class: 'small', dataset: { batch: key }, onclick: () => batch(key) }, t(key));
  root.append(h('section', { class: 'panel' },
    h('div', { class: 'filters' }, search, status,
      h('button', { type: 'button', id: 'add-user', class: 'primary', onclick: () => userDialog(null).then((c) => c && load()) }, t('add_user'))),
    h('div', { class: 'filters batch' }, count, bb('renew'), bb('pause'), bb('resume'), bb('delete')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'users' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), header('username', 'username'), header('status', 'status'), header('used', 'usage'),
        header('expiry', 'expiry'), header('speed', 'speed'), header('conns', 'conns'), h('th', {}, t('actions')))),
      body)),
    h('div', { class: 'pager' },
      h('button', { type: 'button', onclick: () => { S.page = Math.max(0, S.page - 1); draw(); } }, t('prev')), pageInfo,
      h('button', { type: 'button', onclick: () => { S.page += 1; draw(); } }, t('next')))));
  els = { body, pageInfo, count };
  const rerender = () => { stop(); root.replaceChildren(); render(root); };
  for (const th of root.querySelectorAll('th.sortable')) th.addEventListener('click', rerender);
  draw();
  load();
  unsubscribe = subscribe((m) => {
    if (m.type === 'live_update') tick();
    else if (m.type === 'users_changed') { clearTimeout(reloadTimer); reloadTimer = setTimeout(load, 200); }
  });
}

export function stop() { if (unsubscribe) unsubscribe(); els = null; }
