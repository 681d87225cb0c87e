// Settings: the global fuse threshold, the ports, the admin password, the store backup
// download, service logs (plain text) and the audit log with paging.
import { api, enc } from './api.js';
import { fill, fmtTime, h, modal, toast } from './dom.js';
import { t } from './i18n.js';

const SERVICES = ['wss', 'wss_panel', 'stunnel@wss', 'sshd_stunnel'];

function fuse() {
  const input = h('input', { id: 'fuse-kbps', type: 'number', min: 0 });
  api('GET', '/api/settings').then((s) => { input.value = s.fuse_threshold_kbps; }).catch(() => {});
  const save = async () => {
    try { await api('PUT', '/api/settings', { fuse_threshold_kbps: Number(input.value) || 0 }); toast(t('saved')); }
    catch (e) { toast(e.message, true); }
  };
  return h('section', { class: 'panel' }, h('h2', {}, t('fuse')), h('div', { class: 'filters' }, input,
    h('button', { type: 'button', class: 'primary', onclick: save }, t('save'))));
}

function ports() {
  const keys = ['panel_port', 'wss_http_port', 'wss_tls_port', 'stunnel_port', 'internal_forward_port'];
  const editable = new Set(['panel_port', 'wss_http_port', 'wss_tls_port']);
  const I = Object.fromEntries(keys.map((k) => [k, h('input', { id: `port-${k}`, type: 'number', min: 1, max: 65535, disabled: !editable.has(k) })]));
  api('GET', '/api/ports').then((p) => { for (const k of keys) I[k].value = p[k]; }).catch(() => {});
  const save = async () => {
    const body = {};
    for (const k of editable) body[k] = Number(I[k].value);
    try {
      const preview = await api('PUT', '/api/ports', { ...body, dry_run: true });
      if (!preview.restart.length) { toast(t('saved')); return; }
      const ok = await modal(t('ports'), h('p', {}, t('confirm_restart') + preview.restart.join(', ')), [
        { label: t('cancel'), value: false }, { label: t('confirm'), value: true, cls: 'danger', id: 'ports-ok' }]);
      if (ok) { await api('PUT', '/api/ports', body); toast(t('done')); }
    } catch (e) { toast(e.message, true); }
  };
  return h('section', { class: 'panel' }, h('h2', {}, t('ports')),
    h('div', { class: 'form grid' }, keys.map((k) => h('label', { class: 'field' }, h('span', {}, k), I[k]))),
    h('button', { type: 'button', class: 'primary', id: 'ports-save', onclick: save }, t('save')));
}

function password() {
  const cur = h('input', { id: 'pw-current', type: 'password', autocomplete: 'current-password' });
  const next = h('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', minlength: 10 });
  const save = async () => {
    try {
      await api('PUT', '/api/admin/password', { current: cur.value, new: next.value });
      location.replace('/login.html');
    } catch (e) { toast(e.message, true); }
  };
  return h('section', { class: 'panel' }, h('h2', {}, t('change_password')), h('div', { class: 'form grid' },
    h('label', { class: 'field' }, h('span', {}, t('current_password')), cur),
    h('label', { class: 'field' }, h('span', {}, t('new_password').split(' (')[0]), next)),
    h('button', { type: 'button', class: 'primary', onclick: save }, t('save')));
}

// A plain link: the browser sends the session cookie and saves the streamed file itself.
function backup() {
  return h('section', { class: 'panel' }, h('h2', {}, t('backup')), h('p', { class: 'muted' }, t('backup_hint')),
    h('a', { class: 'button primary', id: 'backup-download', href: '/api/backup', download: '' }, t('download_backup')));
}

function logs() {
  const service = h('select', { id: 'log-service' }, SERVICES.map((s) => h('option', { value: s }, s)));
  const lines = h('input', { type: 'number', min: 1, max: 1000, value: 100 });
  const out = h('pre', { id: 'log-text', class: 'logs' });
  const load = async () => {
    try { out.textContent = (await api('GET', `/api/system/services/${enc(service.value)}/logs?lines=${Number(lines.value) || 100}`)).text || t('no_data'); }
    catch (e) { out.textContent = e.message; }
  };
  return h('section', { class: 'panel' }, h('h2', {}, t('logs')), h('div', { class: 'filters' }, service, lines,
    h('button', { type: 'button', onclick: load }, t('load'))), out);
}

function audit() {
  const tbody = h('tbody', { id: 'audit-body' });
  const more = h('button', { type: 'button', id: 'audit-older' }, t('older'));
  const pages = [];
  const load = async (before) => {
    const q = before ? `?limit=50&before=${before}` : '?limit=50';
    let r;
    try { r = await api('GET', `/api/audit${q}`); } catch { return; }
    if (before === undefined) pages.length = 0;
    pages.push(...r.items);
    fill(tbody, pages.map((a) => h('tr', {}, h('td', {}, fmtTime(a.at)), h('td', {}, a.who), h('td', {}, a.ip), h('td', {}, a.action),
      h('td', {}, a.target), h('td', { class: 'detail' }, a.detail))));
    more.disabled = r.items.length < 50;
  };
  more.addEventListener('click', () => { const last = pages[pages.length - 1]; if (last) load(last.seq); });
  load();
  return h('section', { class: 'panel' }, h('h2', {}, t('audit')), h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['time', 'who', 'ip', 'action', 'target', 'detail'].map((k) => h('th', {}, t(k))))), tbody)), more);
}

export function render(root) {
  root.append(fuse(), ports(), password(), backup(), logs(), audit());
}
