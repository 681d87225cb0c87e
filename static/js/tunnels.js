// Tunnels: the live client IPs with user, node (its display name; the session id as the
// cell's title), connection time and the user's live UDPGW flows; kick the user, ban or
// unban the IP. Redrawn from every live_update.
import { api, enc } from './api.js';
import { fill, fmtTime, h, toast } from './dom.js';
import { t } from './i18n.js';
import { live, subscribe } from './live.js';
import { confirmAction, errorText } from './user_menu.js';

let unsubscribe = null;
let banned = new Set();
let nodeNames = {};

/** A session id `name-xxxxxxxx` as the node's display name. */
function nodeOf(id) {
  const name = id && id.includes('-') ? id.slice(0, id.lastIndexOf('-')) : (id || '');
  return nodeNames[name] || name;
}

async function loadNodes() {
  try {
    const r = await api('GET', '/api/nodes');
    nodeNames = Object.fromEntries(r.nodes.map((n) => [n.name, n.display_name || n.name]));
  } catch { /* keep */ }
}

async function loadBans() {
  try { banned = new Set((await api('GET', '/api/bans')).map((b) => b.ip)); } catch { /* keep */ }
}

/** Kick and ban cut a customer off: both ask first. The toast names the target. */
async function run(action, target, method, path, body) {
  if (action !== 'unban' && !(await confirmAction(action, [target]))) return;
  try { await api(method, path, body); toast(`${target}: ${t(action)} ✓`); } catch (e) { toast(`${target}: ${t(action)} ✗ ${errorText(e)}`, true); }
  await loadBans();
}

function rows(tbody) {
  const ips = (live.last && live.last.ips) || [];
  const users = (live.last && live.last.users) || {};
  if (!ips.length) { fill(tbody, h('tr', {}, h('td', { colspan: 6 }, t('no_data')))); return; }
  fill(tbody, ips.map((c) => h('tr', { dataset: { ip: c.ip, user: c.user } },
    h('td', {}, c.ip), h('td', {}, c.user), h('td', { class: 'c-node', title: c.node }, nodeOf(c.node)), h('td', {}, fmtTime(c.since)),
    h('td', { class: 'udp' }, String((users[c.user] || {}).udp_flows ?? 0)),
    h('td', {}, h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'small', dataset: { act: 'kick' }, onclick: () => run('kick', c.user, 'POST', `/api/users/${enc(c.user)}/kick`) }, t('kick')),
      banned.has(c.ip)
        ? h('button', { type: 'button', class: 'small', onclick: () => run('unban', c.ip, 'DELETE', `/api/bans/${enc(c.ip)}`) }, t('unban'))
        : h('button', { type: 'button', class: 'small danger', onclick: () => run('ban', c.ip, 'POST', '/api/bans', { ip: c.ip, reason: `tunnel of ${c.user}` }) }, t('ban')))))));
}

export function render(root) {
  const tbody = h('tbody', { id: 'tunnels-body' });
  root.append(h('section', { class: 'panel' }, h('h2', {}, t('nav_tunnels')), h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['ip', 'user', 'node', 'since', 'udp_flows', 'actions'].map((k) => h('th', {}, t(k))))), tbody))));
  Promise.all([loadBans(), loadNodes()]).then(() => rows(tbody));
  unsubscribe = subscribe((m) => { if (m.type === 'live_update') rows(tbody); });
}

export function stop() { if (unsubscribe) unsubscribe(); }
