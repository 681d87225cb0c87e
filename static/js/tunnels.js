// Tunnels: the live client IPs with user, node and connection time; kick the user, ban or
// unban the IP. Redrawn from every live_update.
import { api, enc } from './api.js';
import { fill, fmtTime, h, toast } from './dom.js';
import { t } from './i18n.js';
import { live, subscribe } from './live.js';

let unsubscribe = null;
let banned = new Set();

async function loadBans() {
  try { banned = new Set((await api('GET', '/api/bans')).map((b) => b.ip)); } catch { /* keep */ }
}

async function run(method, path, body) {
  try { await api(method, path, body); toast(t('done')); } catch (e) { toast(e.message, true); }
  await loadBans();
}

function rows(tbody) {
  const ips = (live.last && live.last.ips) || [];
  if (!ips.length) { fill(tbody, h('tr', {}, h('td', { colspan: 5 }, t('no_data')))); return; }
  fill(tbody, ips.map((c) => h('tr', { dataset: { ip: c.ip, user: c.user } },
    h('td', {}, c.ip), h('td', {}, c.user), h('td', {}, c.node), h('td', {}, fmtTime(c.since)),
    h('td', {}, h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'small', dataset: { act: 'kick' }, onclick: () => run('POST', `/api/users/${enc(c.user)}/kick`) }, t('kick')),
      banned.has(c.ip)
        ? h('button', { type: 'button', class: 'small', onclick: () => run('DELETE', `/api/bans/${enc(c.ip)}`) }, t('unban'))
        : h('button', { type: 'button', class: 'small danger', onclick: () => run('POST', '/api/bans', { ip: c.ip, reason: `tunnel of ${c.user}` }) }, t('ban')))))));
}

export function render(root) {
  const tbody = h('tbody', { id: 'tunnels-body' });
  root.append(h('section', { class: 'panel' }, h('h2', {}, t('nav_tunnels')), h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['ip', 'user', 'node', 'since', 'actions'].map((k) => h('th', {}, t(k))))), tbody))));
  loadBans().then(() => rows(tbody));
  unsubscribe = subscribe((m) => { if (m.type === 'live_update') rows(tbody); });
}

export function stop() { if (unsubscribe) unsubscribe(); }
