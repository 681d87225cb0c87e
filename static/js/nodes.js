// Nodes: one row per proxy node (the enrolled ones and this host's own loopback proxy) with
// its address, release, uptime, connected or last seen, health (its sshd and UDPGW ports
// listening, certificate days left), tunnels, online users, throughput now and traffic today;
// a new enrolment token (shown once, with the install line), rename, revoke and the node's
// traffic history. The live numbers follow every live_update; the
// rest is reloaded every few seconds while the view is open.
import { api, enc } from './api.js';
import { copyText } from './clipboard.js';
import { fill, fmtBytes, fmtSpeed, fmtTime, h, modal, toast } from './dom.js';
import { t } from './i18n.js';
import { live, subscribe } from './live.js';
import { confirmAction, errorText } from './user_menu.js';

const RELOAD_MS = 5000;
let unsubscribe = null;
let timer = null;
let nodes = [];

/** "3d 4h", "5h 12m", "42s": how long since `unix`. */
function since(unix, now) {
  if (!unix) return '-';
  let s = Math.max(0, now - unix);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hr = Math.floor(s / 3600); s -= hr * 3600;
  const m = Math.floor(s / 60);
  if (d) return `${d}d ${hr}h`;
  if (hr) return `${hr}h ${m}m`;
  return m ? `${m}m ${s % 60}s` : `${s}s`;
}

/** The live numbers of node `name` from the latest live_update (sessions `name-xxxxxxxx`). */
function liveOf(name) {
  const stats = (live.last && live.last.node_stats) || {};
  const sum = { connections: 0, users: 0, up: 0, down: 0, seen: false };
  for (const [id, n] of Object.entries(stats)) {
    if (id.slice(0, id.lastIndexOf('-')) !== name && id !== name) continue;
    sum.seen = true;
    sum.connections += n.connections; sum.users += n.users;
    sum.up += n.speed_up_kbps; sum.down += n.speed_down_kbps;
  }
  return sum;
}

function stateText(n, now) {
  if (n.state === 'revoked') return t('nd_revoked');
  if (n.state === 'pending') return t('nd_pending');
  if (n.connected) return `${t('nd_connected')} (${since(n.connected_since, now)})`;
  return n.last_seen ? `${t('nd_last_seen')} ${fmtTime(n.last_seen)}` : t('nd_never_seen');
}

/** The node's own checks: OK, or each problem in words (details in the tooltip). */
function healthCell(hl) {
  if (!hl) return h('td', { class: 'c-health muted' }, '-');
  const port = (key, p) => t(key).replace('{port}', p);
  const cert = hl.cert_days_left == null ? null
    : (hl.cert_days_left < 0 ? t('nd_h_cert_expired') : t('nd_h_cert').replace('{n}', hl.cert_days_left));
  const words = { sshd: port('nd_h_sshd', hl.sshd_port), udpgw: port('nd_h_udpgw', hl.udpgw_port), cert };
  const mark = (ok) => (ok == null ? '-' : ok ? '✓' : '✗');
  const title = [`sshd :${hl.sshd_port} ${mark(hl.sshd_listening)}`,
    hl.udpgw_listening == null ? null : `UDPGW :${hl.udpgw_port} ${mark(hl.udpgw_listening)}`, cert].filter(Boolean).join(' · ');
  const badge = hl.ok ? h('span', { class: 'badge ok' }, t('nd_health_ok'))
    : h('span', { class: 'badge bad' }, `⚠ ${hl.problems.map((p) => words[p] || p).join('; ')}`);
  return h('td', { class: 'c-health', title, dataset: { ok: String(hl.ok), problems: hl.problems.join(',') } }, badge);
}

function row(n, reload) {
  const now = Math.floor(Date.now() / 1000);
  const l = liveOf(n.name);
  const tunnels = l.seen ? l.connections : n.tunnels;
  const users = l.seen ? l.users : n.online_users;
  const speed = l.seen ? `↑ ${fmtSpeed(l.up)} ↓ ${fmtSpeed(l.down)}` : `↑ ${fmtSpeed(n.speed_up_kbps)} ↓ ${fmtSpeed(n.speed_down_kbps)}`;
  const version = n.release ? `${n.release} (ipc ${n.protocol})` : (n.protocol ? `ipc ${n.protocol}` : '-');
  const name = n.label ? h('span', {}, h('strong', {}, n.label), ` (${n.name})`) : h('strong', {}, n.name);
  return h('tr', { dataset: { node: n.name, state: n.state, connected: String(!!n.connected) } },
    h('td', { class: 'c-name' }, name, n.state === 'local' ? h('span', { class: 'muted' }, ` · ${t('nd_local')}`) : null),
    h('td', { class: 'c-address' }, n.address || '-'),
    h('td', { class: 'c-version' }, version),
    h('td', { class: 'c-uptime' }, n.connected && n.started_at ? since(n.started_at, now) : '-'),
    h('td', { class: 'c-state' }, stateText(n, now)),
    n.connected ? healthCell(n.health) : h('td', { class: 'c-health muted' }, '-'),
    h('td', { class: 'c-tunnels num' }, String(n.connected ? tunnels : 0)),
    h('td', { class: 'c-users num' }, String(n.connected ? users : 0)),
    h('td', { class: 'c-speed' }, n.connected ? speed : '-'),
    h('td', { class: 'c-today num' }, fmtBytes(n.today_up_bytes + n.today_down_bytes)),
    h('td', {}, h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'small', dataset: { act: 'history' }, onclick: () => historyDialog(n) }, t('history')),
      h('button', { type: 'button', class: 'small', dataset: { act: 'rename' }, onclick: () => renameDialog(n, reload) }, t('nd_rename')),
      n.state === 'enrolled' || n.state === 'pending'
        ? h('button', { type: 'button', class: 'small danger', dataset: { act: 'revoke' }, onclick: () => revoke(n, reload) }, t('nd_revoke'))
        : null)));
}

function draw(tbody, reload) {
  if (!nodes.length) { fill(tbody, h('tr', {}, h('td', { colspan: 11 }, t('nd_no_nodes')))); return; }
  fill(tbody, nodes.map((n) => row(n, reload)));
}

async function revoke(n, reload) {
  if (!(await confirmAction('nd_revoke', [n.label || n.name]))) return;
  try { await api('POST', `/api/nodes/${enc(n.name)}/revoke`); toast(`${n.name}: ${t('nd_revoke')} ✓`); } catch (e) { toast(`${n.name}: ${t('nd_revoke')} ✗ ${errorText(e)}`, true); }
  await reload();
}

async function renameDialog(n, reload) {
  const input = h('input', { id: 'nd-rename-input', value: n.label || '', placeholder: n.name, maxlength: 32 });
  const error = h('p', { class: 'field-error', id: 'nd-rename-error' });
  await modal(`${t('nd_rename')}: ${n.name}`, h('div', { class: 'form' }, h('label', { class: 'field' }, h('span', {}, t('nd_display_name')), input), h('p', { class: 'hint' }, t('hint_nd_name')), error), [
    { label: t('cancel'), value: false },
    { label: t('save'), cls: 'primary', id: 'nd-rename-save', onClick: async (close) => {
      try { await api('PUT', `/api/nodes/${enc(n.name)}`, { name: input.value.trim() }); close(true); toast(`${n.name}: ${t('saved')}`); await reload(); }
      catch (e) { error.textContent = e.status === 400 ? t('hint_nd_name') : errorText(e); }
    } }]);
}

async function tokenDialog(reload) {
  const name = h('input', { id: 'nd-token-name', placeholder: 'node-xxxxxx', maxlength: 64 });
  const hours = h('input', { id: 'nd-token-hours', type: 'number', min: 1, max: 168, value: 1 });
  const out = h('div', { id: 'nd-token-out' });
  const make = async () => {
    const body = { expires_secs: Math.max(1, Math.floor(Number(hours.value) || 1)) * 3600 };
    if (name.value.trim()) body.name = name.value.trim();
    let r;
    try { r = await api('POST', '/api/nodes/tokens', body); } catch (e) { fill(out, h('p', { class: 'field-error', id: 'nd-token-error' }, e.status === 409 ? `${t('nd_token_refused')} ${e.message}` : errorText(e))); return; }
    const copyRow = (key, id, text) => h('div', { class: 'field' },
      h('span', {}, t(key), ' ', h('button', { type: 'button', class: 'small', id: `${id}-copy`, onclick: () => copyText(text, t(key)) }, t('copy'))),
      h('code', { id, class: 'token' }, text));
    fill(out, h('p', {}, t('nd_token_once')), copyRow('nd_token', 'nd-token', r.token),
      copyRow('nd_install_line', 'nd-install', r.install), h('p', { class: 'hint' }, `${t('nd_expires')} ${fmtTime(r.expires_at)}`));
    await reload();
  };
  const field = (key, el) => h('label', { class: 'field' }, h('span', {}, t(key)), el);
  await modal(t('nd_new_token'), h('div', { class: 'form' },
    h('div', { class: 'form grid' }, field('nd_name', name), field('nd_expires_hours', hours)),
    h('div', {}, h('button', { type: 'button', class: 'primary', id: 'nd-token-make', onclick: make }, t('generate'))), out),
  [{ label: t('close'), value: true, id: 'nd-token-close' }]);
}

async function historyDialog(n) {
  let data;
  try { data = await api('GET', `/api/nodes/${enc(n.name)}/history`); } catch (e) { toast(`${n.name}: ${errorText(e)}`, true); return; }
  const days = [...data.days].sort((a, b) => (a.date < b.date ? 1 : -1));
  const max = Math.max(1, ...days.map((d) => d.up_bytes + d.down_bytes));
  const rows = days.map((d) => {
    const total = d.up_bytes + d.down_bytes;
    return h('tr', {}, h('td', {}, d.date), h('td', { class: 'num' }, fmtBytes(d.up_bytes)), h('td', { class: 'num' }, fmtBytes(d.down_bytes)),
      h('td', { class: 'num' }, fmtBytes(total)),
      h('td', { class: 'hist' }, h('div', { class: 'bar' }, h('div', { class: 'fill', style: { width: `${((100 * total) / max).toFixed(1)}%` } }))));
  });
  const head = h('thead', {}, h('tr', {}, ['date', 'upload', 'download', 'total', ''].map((k) => h('th', {}, k ? t(k) : ''))));
  await modal(`${t('history')}: ${n.label || n.name}`, h('div', { class: 'table-wrap tall' }, h('table', { id: 'nd-history' }, head, h('tbody', {}, rows))),
    [{ label: t('close'), value: true }]);
}

export function render(root) {
  const tbody = h('tbody', { id: 'nodes-body' });
  const reload = async () => {
    try { nodes = (await api('GET', '/api/nodes')).nodes; } catch { /* keep the last list */ }
    draw(tbody, reload);
  };
  const cols = ['nd_name', 'nd_address', 'nd_version', 'nd_uptime', 'status', 'nd_health', 'tunnels', 'online_users', 'speed', 'nd_today', 'actions'];
  root.append(h('section', { class: 'panel' },
    h('div', { class: 'filters' }, h('h2', {}, t('nav_nodes')),
      h('button', { type: 'button', class: 'primary', id: 'nd-new-token', onclick: () => tokenDialog(reload) }, t('nd_new_token'))),
    h('div', { class: 'table-wrap' }, h('table', { id: 'nodes-table' },
      h('thead', {}, h('tr', {}, cols.map((k) => h('th', {}, t(k))))), tbody))));
  reload();
  timer = setInterval(reload, RELOAD_MS);
  unsubscribe = subscribe((m) => { if (m.type === 'live_update') draw(tbody, reload); });
}

export function stop() {
  if (unsubscribe) unsubscribe();
  clearInterval(timer);
}
