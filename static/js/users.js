// Users: the whole list is fetched once (and again on users_changed), filtered, sorted and
// paged in the browser, so only one page of rows exists in the DOM even with 10,000 users.
// Live cells (speed, online connections, usage) move every second: usage adds what the
// tunnels moved since the list was fetched (their speeds, integrated over the ticks), so it
// grows under traffic without refetching the list; the next fetch replaces the estimate
// with the stored count.
import { api } from './api.js';
import { fill, h, setText, toast } from './dom.js';
import { t } from './i18n.js';
import { live, subscribe } from './live.js';
import { askDays, closeMenu, confirmAction, errorText } from './user_menu.js';
import { COLUMNS, row, tickRow } from './user_row.js';
import { userDialog } from './user_form.js';

const SIZES = [25, 50, 100, 200];
const S = { users: [], loaded: false, q: '', status: '', sort: 'username', dir: 1, page: 0, selected: new Set(),
  size: SIZES.includes(Number(localStorage.getItem('users_page_size'))) ? Number(localStorage.getItem('users_page_size')) : 50,
  extra: new Map(), lastAt: null, cols: loadCols() };
let els = null;
let unsubscribe = null;
let reloadTimer = null;
let shown = [];

function loadCols() {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem('users_columns') || 'null'); } catch { saved = null; }
  return new Set(COLUMNS.filter((c) => c.optional && (saved ? saved.includes(c.key) : c.on)).map((c) => c.key));
}

const liveOf = (u) => (live.last && live.last.users && live.last.users[u.username]) || { up: 0, down: 0, conns: 0 };
const ctx = () => ({ live: liveOf, extra: (u) => S.extra.get(u.username) || 0, selected: S.selected,
  cols: COLUMNS.filter((c) => !c.optional || S.cols.has(c.key)), onSelect: select, reload: load });

function select(name, on) {
  if (on) S.selected.add(name); else S.selected.delete(name);
  syncSelection();
}

function syncSelection() {
  if (!els) return;
  setText(els.count, `${S.selected.size} ${t('selected')}`);
  for (const b of els.batch) b.disabled = S.selected.size === 0;
  const onPage = shown.filter((u) => S.selected.has(u.username)).length;
  els.all.checked = shown.length > 0 && onPage === shown.length;
  els.all.indeterminate = onPage > 0 && onPage < shown.length;
}

function visible() {
  const q = S.q.toLowerCase();
  const col = COLUMNS.find((c) => c.key === S.sort) || COLUMNS[0];
  const c = ctx();
  return S.users
    .filter((u) => (!S.status || u.status === S.status) && (!q || u.username.includes(q) || (u.note || '').toLowerCase().includes(q)))
    .map((u) => [col.sort(u, c), u])
    .sort(([x, a], [y, b]) => (x < y ? -1 : x > y ? 1 : a.username < b.username ? -1 : 1) * (x === y ? 1 : S.dir))
    .map(([, u]) => u);
}

function empty(cols) {
  const none = S.loaded && S.users.length === 0;
  const text = !S.loaded ? t('loading') : none ? t('no_users') : t('no_match');
  return h('tr', { class: 'empty' }, h('td', { colspan: cols + 2 }, h('p', { id: 'users-empty' }, text),
    none ? h('button', { type: 'button', class: 'primary', onclick: add }, t('add_user')) : null));
}

function draw() {
  if (!els) return;
  closeMenu();
  const list = visible();
  const pages = Math.max(1, Math.ceil(list.length / S.size));
  S.page = Math.min(S.page, pages - 1);
  shown = list.slice(S.page * S.size, (S.page + 1) * S.size);
  const c = ctx();
  fill(els.head, h('th', { class: 'c-sel' }, els.all), c.cols.map(header), h('th', { class: 'c-menu' }, ''));
  fill(els.body, shown.length ? shown.map((u) => row(u, c)) : empty(c.cols.length));
  for (const info of els.pageInfo) setText(info, `${S.page + 1} / ${pages} (${list.length})`);
  syncSelection();
}

/** Every second: add what each online user moved since the last tick, then update cells. */
function tick(m) {
  if (!els) return;
  const dt = S.lastAt === null ? 1 : Math.min(10, Math.max(0, m.at - S.lastAt));
  S.lastAt = m.at;
  for (const [name, l] of Object.entries(m.users || {})) {
    const moved = (l.up + l.down) * 1024 * dt;
    if (moved > 0) S.extra.set(name, (S.extra.get(name) || 0) + moved);
  }
  const byName = new Map(shown.map((u) => [u.username, u]));
  const c = ctx();
  for (const tr of els.body.children) {
    const u = byName.get(tr.dataset.user);
    if (u) tickRow(tr, u, c);
  }
}

async function load() {
  try { S.users = await api('GET', '/api/users'); } catch { return; }
  S.loaded = true;
  S.extra.clear();
  const names = new Set(S.users.map((u) => u.username));
  for (const n of [...S.selected]) if (!names.has(n)) S.selected.delete(n);
  draw();
}

function add() { userDialog(null).then((c) => c && load()); }

async function batch(action) {
  const usernames = [...S.selected];
  if (!usernames.length) return;
  const body = { action, usernames };
  if (action === 'renew') { const d = await askDays(null); if (!d) return; body.days = d; }
  if (action === 'delete' && !(await confirmAction('delete', usernames))) return;
  try {
    const r = await api('POST', '/api/users/batch', body);
    toast(`${t(action)}: ${t('done')} ${r.done.length}, ${t('failed')} ${r.failed.length}`, r.failed.length > 0);
  } catch (e) { toast(`${t(action)}: ${errorText(e)}`, true); }
  await load();
}

function header(col) {
  const on = S.sort === col.key;
  return h('th', { class: `sortable c-${col.key}`, dataset: { sort: col.key }, 'aria-sort': on ? (S.dir > 0 ? 'ascending' : 'descending') : 'none',
    onclick: () => { S.dir = on ? -S.dir : col.first || 1; S.sort = col.key; draw(); } }, t(col.label || col.key), on ? (S.dir > 0 ? ' ▲' : ' ▼') : '');
}

function pager(id) {
  const go = (d) => { S.page = Math.max(0, S.page + d); draw(); };
  const info = h('span', { class: 'page-info' });
  return [h('div', { class: 'pager', id },
    h('button', { type: 'button', class: 'prev', onclick: () => go(-1) }, t('prev')), info,
    h('button', { type: 'button', class: 'next', onclick: () => go(1) }, t('next'))), info];
}

function columnChooser() {
  const box = (c) => h('label', { class: 'check' }, h('input', { type: 'checkbox', dataset: { col: c.key }, checked: S.cols.has(c.key),
    onchange: (e) => {
      if (e.target.checked) S.cols.add(c.key); else S.cols.delete(c.key);
      localStorage.setItem('users_columns', JSON.stringify([...S.cols]));
      draw();
    } }), t(c.key));
  return h('details', { class: 'columns', id: 'columns' }, h('summary', {}, t('columns')),
    h('div', { class: 'columns-list' }, COLUMNS.filter((c) => c.optional).map(box)));
}

export function render(root) {
  const body = h('tbody', { id: 'users-body' });
  const head = h('tr', {});
  const all = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': t('select_all'), onchange: (e) => {
    for (const u of shown) if (e.target.checked) S.selected.add(u.username); else S.selected.delete(u.username);
    draw();
  } });
  const status = h('select', { id: 'status-filter', onchange: (e) => { S.status = e.target.value; S.page = 0; draw(); } },
    h('option', { value: '' }, t('all')), ['active', 'paused', 'expired', 'exceeded', 'fused'].map((s) => h('option', { value: s, selected: S.status === s }, t(s))));
  const search = h('input', { id: 'user-search', type: 'search', placeholder: t('search'), value: S.q,
    oninput: (e) => { S.q = e.target.value; S.page = 0; draw(); } });
  const size = h('select', { id: 'page-size', 'aria-label': t('page_size'), onchange: (e) => {
    S.size = Number(e.target.value); localStorage.setItem('users_page_size', S.size); S.page = 0; draw();
  } }, SIZES.map((n) => h('option', { value: n, selected: n === S.size }, `${n} / ${t('page')}`)));
  const count = h('span', { class: 'sel-count' });
  const bb = (key) => h('button', { type: 'button', class: `small ${key === 'delete' ? 'danger' : ''}`, dataset: { batch: key }, onclick: () => batch(key) }, t(key));
  const batchButtons = ['renew', 'pause', 'resume', 'delete'].map(bb);
  const [top, topInfo] = pager('pager-top');
  const [bottom, bottomInfo] = pager('pager-bottom');
  root.append(h('section', { class: 'panel' },
    h('div', { class: 'filters' }, search, status, size, columnChooser(),
      h('button', { type: 'button', id: 'add-user', class: 'primary', onclick: add }, t('add_user'))),
    h('div', { class: 'filters batch' }, count, batchButtons, top),
    h('div', { class: 'table-wrap' }, h('table', { class: 'users' }, h('thead', {}, head), body)),
    bottom));
  els = { body, head, all, count, batch: batchButtons, pageInfo: [topInfo, bottomInfo] };
  S.lastAt = null;
  draw();
  load();
  unsubscribe = subscribe((m) => {
    if (m.type === 'live_update') tick(m);
    else if (m.type === 'users_changed') { clearTimeout(reloadTimer); reloadTimer = setTimeout(load, 200); }
  });
}

export function stop() { if (unsubscribe) unsubscribe(); closeMenu(); els = null; }
