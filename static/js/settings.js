// Settings: the global fuse threshold, the public address, the ports, the admin password, the store backup
// download, service logs (plain text) and the audit log with paging.
import { api, enc } from './api.js';
import { dayInput, fill, fmtTime, h, modal, toast, validDay, withDayPicker } from './dom.js';
import { t } from './i18n.js';

const SERVICES = ['wss', 'wss_panel', 'stunnel@wss', 'sshd_stunnel'];

/** The fuse rule with the threshold typed in as its example (512 KiB/s while it is 0). */
export function fuseExample(kbps) {
  const n = Math.max(0, Math.round(Number(kbps) || 0));
  const eg = n || 512;
  const text = t('fuse_example').replaceAll('{n}', eg).replace('{mbit}', ((eg * 1024 * 8) / 1e6).toFixed(1));
  return n ? text : `${t('fuse_off_now')}${text}`;
}

function fuse() {
  const input = h('input', { id: 'fuse-kbps', type: 'number', min: 0 });
  const hint = h('p', { class: 'hint', id: 'fuse-hint' });
  const explain = () => { hint.textContent = fuseExample(input.value); };
  input.addEventListener('input', explain);
  explain();
  api('GET', '/api/settings').then((s) => { input.value = s.fuse_threshold_kbps; explain(); }).catch(() => {});
  const save = async () => {
    try { await api('PUT', '/api/settings', { fuse_threshold_kbps: Number(input.value) || 0 }); toast(t('saved')); }
    catch (e) { toast(e.message, true); }
  };
  return h('section', { class: 'panel' }, h('h2', {}, t('fuse')), h('div', { class: 'filters' }, input,
    h('button', { type: 'button', class: 'primary', id: 'fuse-save', onclick: save }, t('save'))), hint);
}

function ports() {
  const keys = ['panel_port', 'wss_http_port', 'wss_tls_port', 'stunnel_port', 'sshd_stunnel_port', 'internal_forward_port'];
  const doors = new Set(['stunnel_port', 'sshd_stunnel_port']);
  const editable = new Set(['panel_port', 'wss_http_port', 'wss_tls_port', ...doors]);
  const I = Object.fromEntries(keys.map((k) => [k, h('input', { id: `port-${k}`, type: 'number', min: 1, max: 65535, disabled: !editable.has(k) })]));
  const hint = (k) => (editable.has(k) ? k : `${k} · ${t('port_fixed')}`);
  const H = Object.fromEntries(keys.map((k) => [k, h('small', { class: 'hint' }, hint(k))]));
  // The trial (`up`) runs no stunnel door: its two fields stay disabled, with the reason.
  const doorNote = h('p', { class: 'muted', id: 'port-doors-note' }, t('port_doors_hint'));
  api('GET', '/api/ports').then((p) => {
    for (const k of keys) I[k].value = p[k];
    if (!p.doors_editable) {
      for (const k of doors) { editable.delete(k); I[k].disabled = true; I[k].title = t('port_doors_trial'); H[k].textContent = hint(k); }
      doorNote.textContent = t('port_doors_trial');
      doorNote.dataset.trial = '1';
    }
  }).catch(() => {});
  const save = async () => {
    const body = {};
    for (const k of editable) body[k] = Number(I[k].value);
    try {
      const preview = await api('PUT', '/api/ports', { ...body, dry_run: true });
      if (!preview.restart.length) { toast(t('saved')); return; }
      const ok = await modal(t('ports'), h('p', {}, t('confirm_restart') + preview.restart.join(', ')), [
        { label: t('cancel'), value: false }, { label: t('confirm'), value: true, cls: 'danger', id: 'ports-ok' }]);
      if (ok) { await api('PUT', '/api/ports', body); toast(t('done')); }
    } catch (e) {
      const msg = e.status === 409 ? t('err_port_busy') : e.status === 400 ? t('err_port')
        : e.status === 502 ? t('err_ports_failed') + e.message : t('err_server');
      toast(msg, true);
    }
  };
  return h('section', { class: 'panel' }, h('h2', {}, t('ports')),
    h('div', { class: 'form grid' }, keys.map((k) => h('label', { class: 'field' }, h('span', {}, t(`port_${k}`)), I[k], H[k]))),
    doorNote,
    h('button', { type: 'button', class: 'primary', id: 'ports-save', onclick: save }, t('save')));
}

// Where customers reach this server: written into payloads, the card and its QR.
function publicAddress() {
  const keys = [['host', 'text'], ['sni', 'text'], ['wss_port', 'number'], ['wss_tls_port', 'number'], ['stunnel_port', 'number'], ['udpgw_port', 'number']];
  const I = Object.fromEntries(keys.map(([k, type]) => [k, h('input', { id: `pub-${k}`, type, ...(type === 'number' ? { min: 1, max: 65535 } : {}) })]));
  api('GET', '/api/public-address').then((p) => { for (const [k] of keys) I[k].value = p[k]; }).catch(() => {});
  const save = async () => {
    const body = Object.fromEntries(keys.map(([k, type]) => [k, type === 'number' ? Number(I[k].value) || 0 : I[k].value.trim()]));
    try { await api('PUT', '/api/public-address', body); toast(t('saved')); } catch (e) { toast(e.message, true); }
  };
  return h('section', { class: 'panel' }, h('h2', {}, t('pl_public_address')), h('p', { class: 'muted' }, t('pl_public_hint')),
    h('div', { class: 'form grid' }, keys.map(([k]) => h('label', { class: 'field' }, h('span', {}, t(`pl_pub_${k}`)), I[k]))),
    h('button', { type: 'button', class: 'primary', id: 'pub-save', onclick: save }, t('save')));
}

function password() {
  const cur = h('input', { id: 'pw-current', type: 'password', autocomplete: 'current-password' });
  const next = h('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', minlength: 10 });
  const again = h('input', { id: 'pw-again', type: 'password', autocomplete: 'new-password' });
  const err = h('p', { class: 'error', id: 'pw-error' });
  const save = async () => {
    err.textContent = '';
    if (next.value !== again.value) { err.textContent = t('pw_mismatch'); return; }
    try {
      await api('PUT', '/api/admin/password', { current: cur.value, new: next.value });
      // The change ends every session; the login page says why the admin is there.
      location.replace('/login.html#password-changed');
    } catch (e) { err.textContent = e.status === 400 ? t('pw_rule') : e.status === 401 || e.status === 403 ? t('pw_current_wrong') : t('err_server'); }
  };
  return h('section', { class: 'panel' }, h('h2', {}, t('change_password')), h('div', { class: 'form grid' },
    h('label', { class: 'field' }, h('span', {}, t('current_password')), cur),
    h('label', { class: 'field' }, h('span', {}, t('new_password').split(' (')[0]), next, h('small', { class: 'hint' }, t('pw_rule'))),
    h('label', { class: 'field' }, h('span', {}, t('pw_confirm')), again)), err,
    h('button', { type: 'button', class: 'primary', id: 'pw-save', onclick: save }, t('save')));
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

/** The audit log, newest first, with filters over what is loaded (action, user or target,
 * from a date); "older" loads the next 50. */
function audit() {
  const tbody = h('tbody', { id: 'audit-body' });
  const more = h('button', { type: 'button', id: 'audit-older' }, t('older'));
  const action = h('select', { id: 'audit-action' }, h('option', { value: '' }, t('all')));
  const who = h('input', { id: 'audit-target', type: 'search', placeholder: `${t('user')} / ${t('target')}` });
  const since = dayInput({ id: 'audit-since', title: t('audit_since') });
  const pages = [];
  const draw = () => {
    const q = who.value.trim().toLowerCase();
    const day = validDay(since.value);
    const from = day ? new Date(`${day}T00:00:00`).getTime() / 1000 : 0;
    const rows = pages.filter((a) => (!action.value || a.action === action.value) && a.at >= from
      && (!q || `${a.target} ${a.who}`.toLowerCase().includes(q)));
    fill(tbody, rows.length ? rows.map((a) => h('tr', { dataset: { action: a.action } }, h('td', {}, fmtTime(a.at)), h('td', {}, a.who), h('td', {}, a.ip),
      h('td', {}, a.action), h('td', {}, a.target), h('td', { class: 'detail' }, a.detail)))
      : h('tr', {}, h('td', { colspan: 6 }, t('no_data'))));
    const known = new Set([...action.options].map((o) => o.value));
    for (const a of pages) if (!known.has(a.action)) { known.add(a.action); action.append(h('option', { value: a.action }, a.action)); }
  };
  const load = async (before) => {
    const q = before ? `?limit=50&before=${before}` : '?limit=50';
    let r;
    try { r = await api('GET', `/api/audit${q}`); } catch { return; }
    if (before === undefined) pages.length = 0;
    pages.push(...r.items);
    draw();
    more.disabled = r.items.length < 50;
  };
  for (const el of [action, who, since]) el.addEventListener('input', draw);
  more.addEventListener('click', () => { const last = pages[pages.length - 1]; if (last) load(last.seq); });
  load();
  return h('section', { class: 'panel' }, h('h2', {}, t('audit')), h('div', { class: 'filters' }, action, who, withDayPicker(since, t('pick_date'))),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['time', 'who', 'ip', 'action', 'target', 'detail'].map((k) => h('th', {}, t(k))))), tbody)), more);
}

export function render(root) {
  root.append(fuse(), publicAddress(), ports(), password(), backup(), logs(), audit());
}
