// Dashboard: host load, services (with restart through the helper), ports, accounts by
// status, online users and tunnels, total traffic, and the live speed chart.
import { api, enc } from './api.js';
import { fill, fmtBytes, fmtSpeed, h, modal, setText, toast } from './dom.js';
import { t } from './i18n.js';
import { live, showTrial, subscribe } from './live.js';
import { drawChart } from './chart.js';
import { alertsOf } from './alerts.js';

let unsubscribe = null;
let els = null;

function card(key, id) {
  return h('div', { class: 'card' }, h('div', { class: 'card-label' }, t(key)), h('div', { class: 'card-value', id }, '-'));
}

function pct(part) {
  if (!part) return t('unknown');
  return `${fmtBytes(part.used)} / ${fmtBytes(part.total)} (${((100 * part.used) / Math.max(1, part.total)).toFixed(0)}%)`;
}

async function restart(service) {
  const ok = await modal(t('restart'), h('p', {}, t('confirm_restart') + service), [
    { label: t('cancel'), value: false }, { label: t('confirm'), value: true, cls: 'danger' }]);
  if (!ok) return;
  try { await api('POST', `/api/system/services/${enc(service)}/restart`); toast(`${service}: ${t('done')}`); }
  catch (e) { toast(e.message, true); }
}

function showAlerts(s) {
  const list = alertsOf(s);
  els.alerts.hidden = list.length === 0;
  fill(els.alerts, list.map((a) => h('div', { class: 'alert', dataset: { alert: a.key } },
    h('strong', {}, a.text), h('span', { class: 'fix' }, `${t('fix')}: `, h('code', {}, a.fix)))));
}

function showSystem(s) {
  if (!s || !els) return;
  showAlerts(s);
  setText(els.cpu, s.cpu_percent == null ? t('unknown') : `${s.cpu_percent.toFixed(1)}%`);
  setText(els.mem, pct(s.mem));
  setText(els.disk, pct(s.disk));
  setText(els.traffic, fmtBytes(s.traffic_bytes));
  const by = (s.accounts && s.accounts.by_status) || {};
  setText(els.accounts, `${s.accounts ? s.accounts.total : 0} (${Object.entries(by).map(([k, v]) => `${t(k)} ${v}`).join(', ')})`);
  fill(els.services, Object.entries(s.services || {}).map(([name, status]) => h('tr', {},
    h('td', {}, name),
    h('td', {}, h('span', { class: `badge ${status === 'active' ? 'ok' : status === 'unknown' ? '' : 'bad'}` }, status === 'unknown' ? t('unknown') : status)),
    h('td', {}, s.simulated ? h('span', { class: 'muted' }, t('simulated'))
      : h('button', { type: 'button', class: 'restart', onclick: () => restart(name) }, t('restart'))))));
  fill(els.ports, (s.ports || []).map((p) => h('tr', {},
    h('td', {}, p.name), h('td', {}, p.port),
    h('td', {}, h('span', { class: `badge ${p.listening ? 'ok' : 'bad'}` }, t(p.listening ? 'listening' : 'closed'))))));
}

function showLive(m) {
  if (!m || !els) return;
  const online = Object.values(m.users || {}).filter((u) => u.conns > 0).length;
  setText(els.online, online);
  setText(els.tunnels, m.connections);
  setText(els.udp, m.udp_flows ?? 0);
  setText(els.speed, `↑ ${fmtSpeed(m.up)}  ↓ ${fmtSpeed(m.down)}`);
  drawChart(els.chart, live.history);
}

export function render(root) {
  const chart = h('canvas', { id: 'speed-chart', class: 'chart' });
  const services = h('tbody', { id: 'services' });
  const ports = h('tbody', { id: 'ports' });
  const alerts = h('section', { class: 'alerts', id: 'alerts', hidden: true });
  root.append(alerts,
    h('section', { class: 'cards' }, card('cpu', 'd-cpu'), card('memory', 'd-mem'), card('disk', 'd-disk'),
      card('online_users', 'd-online'), card('tunnels', 'd-tunnels'), card('total_traffic', 'd-traffic'),
      card('accounts', 'd-accounts'), card('speed', 'd-speed'), card('udp_flows', 'd-udp')),
    h('section', { class: 'panel' }, h('h2', {}, t('speed')), chart,
      h('div', { class: 'legend' }, h('span', { class: 'up' }, t('upload')), h('span', { class: 'down' }, t('download')))),
    h('div', { class: 'two' },
      h('section', { class: 'panel' }, h('h2', {}, t('services')), h('table', {}, services)),
      h('section', { class: 'panel' }, h('h2', {}, t('ports')), h('table', {}, ports))));
  const q = (id) => root.querySelector(`#${id}`);
  els = { cpu: q('d-cpu'), mem: q('d-mem'), disk: q('d-disk'), online: q('d-online'), tunnels: q('d-tunnels'), udp: q('d-udp'),
    traffic: q('d-traffic'), accounts: q('d-accounts'), speed: q('d-speed'), chart, services, ports, alerts };
  showSystem(live.system);
  // The axes show at once, before (or without) the first live tick.
  drawChart(chart, live.history);
  showLive(live.last);
  api('GET', '/api/system/status').then((s) => { live.system = s; showTrial(s); showSystem(s); }).catch(() => {});
  unsubscribe = subscribe((m) => {
    if (m.type === 'live_update') showLive(m);
    else if (m.type === 'system_update') showSystem(m.payload);
  });
}

export function stop() { if (unsubscribe) unsubscribe(); els = null; }
