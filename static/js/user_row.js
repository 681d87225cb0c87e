// The users table's columns: what each shows, how it sorts, which are optional (chosen in
// the page's column menu, remembered in localStorage). On a phone the same row is laid out
// as a card by CSS (each cell carries its label in data-label). Pure DOM building; the page
// (users.js) owns the state.
import { daysUntil, fmtBytes, fmtSpeed, fmtTime, h, setText } from './dom.js';
import { t } from './i18n.js';
import { daysText, menuButton } from './user_menu.js';

/** Problem users first when sorting by status ascending. */
const STATUS_RANK = { exceeded: 0, expired: 1, fused: 2, paused: 3, active: 4 };

/** Bytes counted against the quota: the period's when a plan resets it, else all time. */
export function usedOf(u, extra = 0) {
  const base = u.quota_reset && u.quota_reset !== 'none' && Number.isFinite(u.usage_period_bytes) ? u.usage_period_bytes : u.used_bytes;
  return base + extra;
}

/** key, label, sort key, first sort direction (-1: descending first), optional, cell. */
export const COLUMNS = [
  { key: 'username', sort: (u) => u.username, cell: (u) => [u.username, u.note ? h('small', { class: 'note' }, u.note) : null] },
  { key: 'status', sort: (u) => STATUS_RANK[u.status] ?? 9, cell: (u) => h('span', { class: `badge st-${u.status}` }, t(u.status)) },
  { key: 'days_left', label: 'expiry', sort: (u) => u.expires_on || '9999', cell: (u) => expiryCell(u) },
  { key: 'usage', sort: (u, c) => usedOf(u, c.extra(u)), first: -1, cls: 'c-usage', cell: (u, c) => usageCell(u, c.extra(u)) },
  { key: 'speed', sort: (u, c) => { const l = c.live(u); return l.up + l.down; }, first: -1, cls: 'c-speed', cell: (u, c) => speedText(c.live(u)) },
  { key: 'online', sort: (u, c) => c.live(u).conns, first: -1, cls: 'c-conns', cell: (u, c) => String(c.live(u).conns) },
  { key: 'rate', optional: true, on: true, sort: (u) => u.rate_kbps || Infinity, cell: (u) => (u.rate_kbps ? fmtSpeed(u.rate_kbps) : '∞') },
  { key: 'max_conn', optional: true, on: true, sort: (u) => u.max_connections || Infinity, cell: (u) => (u.max_connections ? String(u.max_connections) : '∞') },
  { key: 'created', optional: true, on: true, sort: (u) => u.created_at, first: -1, cell: (u) => fmtTime(u.created_at).slice(0, 10) },
  { key: 'plan', optional: true, on: false, sort: (u) => u.quota_reset || 'none', cell: (u) => planText(u) },
  { key: 'shell', optional: true, on: false, sort: (u) => (u.allow_shell ? 0 : 1), cell: (u) => (u.allow_shell ? '✓' : '–') },
  { key: 'auth', optional: true, on: false, sort: (u) => (u.require_auth_header ? 0 : 1), cell: (u) => (u.require_auth_header ? 'Proxy-Auth' : '/?user=') },
];

export function speedText(l) { return `↑${fmtSpeed(l.up)} ↓${fmtSpeed(l.down)}`; }

function planText(u) {
  const parts = [];
  if (u.quota_reset && u.quota_reset !== 'none') parts.push(`${t(`reset_${u.quota_reset}`)}${u.quota_reset_day ? ` (${u.quota_reset_day})` : ''}`);
  if (u.expire_after_first_use_days) parts.push(`${t('first_use_days')}: ${u.expire_after_first_use_days}${u.first_used_at ? '' : ` (${t('not_used_yet')})`}`);
  return parts.join(' · ') || '–';
}

function expiryCell(u) {
  if (!u.expires_on) return h('span', { class: 'days' }, t('never'));
  const n = daysUntil(u.expires_on);
  return [h('span', { class: `days ${n < 0 ? 'bad' : n <= 3 ? 'warn' : ''}` }, daysText(n)), h('small', { class: 'note' }, u.expires_on)];
}

export function usageCell(u, extra) {
  const used = usedOf(u, extra);
  const pctv = u.quota_bytes ? Math.min(100, (100 * used) / u.quota_bytes) : 0;
  return h('div', { class: 'usage' },
    h('div', { class: 'bar' }, h('div', { class: `fill ${pctv > 90 ? 'bad' : ''}`, style: { width: `${pctv.toFixed(1)}%` } })),
    h('small', { class: 'used' }, usageText(u, used)));
}

function usageText(u, used) { return `${fmtBytes(used)} / ${u.quota_bytes ? fmtBytes(u.quota_bytes) : '∞'}`; }

/** Updates the live cells of a drawn row in place. */
export function tickRow(tr, u, c) {
  const l = c.live(u);
  setText(tr.querySelector('.c-speed'), speedText(l));
  setText(tr.querySelector('.c-conns'), l.conns);
  const used = usedOf(u, c.extra(u));
  const cell = tr.querySelector('.c-usage');
  if (!cell) return;
  const pctv = u.quota_bytes ? Math.min(100, (100 * used) / u.quota_bytes) : 0;
  const fill = cell.querySelector('.fill');
  fill.style.width = `${pctv.toFixed(1)}%`;
  fill.classList.toggle('bad', pctv > 90);
  setText(cell.querySelector('.used'), usageText(u, used));
}

/** One user's row; `c` = { live(u), extra(u), cols, selected, onSelect, reload }. */
export function row(u, c) {
  const check = h('input', { type: 'checkbox', class: 'sel', 'aria-label': u.username, checked: c.selected.has(u.username),
    onchange: (e) => c.onSelect(u.username, e.target.checked) });
  return h('tr', { dataset: { user: u.username, status: u.status } },
    h('td', { class: 'c-sel' }, check),
    c.cols.map((col) => h('td', { class: `c-${col.key} ${col.cls || ''}`, dataset: { label: t(col.label || col.key) } }, col.cell(u, c))),
    h('td', { class: 'c-menu' }, menuButton(u, c.reload)));
}
