// The user dialogs: add/edit (every field, with the Basic token preview), 30-day traffic
// history, and the connection card (host, ports, a ready payload and its QR code).
import { api, enc } from './api.js';
import { fmtBytes, h, modal, toast } from './dom.js';
import { t } from './i18n.js';
import { live } from './live.js';
import { basicToken, buildPayload } from './payload.js';

const GIB = 1024 ** 3;

function field(key, input) {
  return h('label', { class: 'field' }, h('span', {}, t(key)), input);
}

/** Add (u = null) or edit a user. Resolves true when saved. */
export async function userDialog(u) {
  const isNew = !u;
  const I = {
    username: h('input', { id: 'f-username', value: u ? u.username : '', disabled: !isNew, autocomplete: 'off' }),
    password: h('input', { id: 'f-password', type: 'text', autocomplete: 'new-password' }),
    days: h('input', { id: 'f-days', type: 'number', min: 1, max: 36500, value: 30 }),
    expires_on: h('input', { id: 'f-expires', type: 'date', value: u && u.expires_on ? u.expires_on : '' }),
    quota_gb: h('input', { id: 'f-quota', type: 'number', min: 0, step: 'any', value: u ? +(u.quota_bytes / GIB).toFixed(3) : 0 }),
    rate_kbps: h('input', { id: 'f-rate', type: 'number', min: 0, value: u ? u.rate_kbps : 0 }),
    max_connections: h('input', { id: 'f-maxconn', type: 'number', min: 0, value: u ? u.max_connections : 0 }),
    require_auth_header: h('input', { id: 'f-reqauth', type: 'checkbox', checked: u ? u.require_auth_header : true }),
    allow_shell: h('input', { id: 'f-shell', type: 'checkbox', checked: u ? u.allow_shell : false }),
    note: h('input', { id: 'f-note', value: u ? u.note : '', maxlength: 500 }),
  };
  const preview = h('code', { id: 'token-preview', class: 'token' }, '-');
  const update = () => { preview.textContent = I.password.value ? `Basic ${basicToken(I.username.value, I.password.value)}` : '-'; };
  I.username.addEventListener('input', update);
  I.password.addEventListener('input', update);
  const form = h('div', { class: 'form' },
    field('username', I.username), field(isNew ? 'password' : 'new_password', I.password),
    isNew ? field('days', I.days) : field('expires_on', I.expires_on),
    field('quota_gb', I.quota_gb), field('rate_kbps', I.rate_kbps), field('max_connections', I.max_connections),
    h('label', { class: 'check' }, I.require_auth_header, t('require_auth_header')),
    h('label', { class: 'check' }, I.allow_shell, t('allow_shell')),
    field('note', I.note), h('div', { class: 'field' }, h('span', {}, t('token_preview')), preview),
    h('p', { class: 'error', id: 'dialog-error' }));
  const save = async (close) => {
    const limits = { quota_gb: Number(I.quota_gb.value) || 0, rate_kbps: Number(I.rate_kbps.value) || 0,
      max_connections: Number(I.max_connections.value) || 0, require_auth_header: I.require_auth_header.checked,
      allow_shell: I.allow_shell.checked, note: I.note.value };
    try {
      if (isNew) {
        await api('POST', '/api/users', { username: I.username.value.trim(), password: I.password.value, days: Number(I.days.value), ...limits });
      } else {
        await api('PATCH', `/api/users/${enc(u.username)}`, { expires_on: I.expires_on.value || null, ...limits });
        if (I.password.value) await api('POST', `/api/users/${enc(u.username)}/password`, { password: I.password.value });
      }
      toast(t('saved'));
      close(true);
    } catch (e) { form.querySelector('#dialog-error').textContent = e.message; }
  };
  return modal(isNew ? t('add_user') : `${t('edit')}: ${u.username}`, form, [
    { label: t('cancel'), value: false }, { label: t('save'), id: 'dialog-save', cls: 'primary', onClick: save }]);
}

export async function historyDialog(u) {
  let data;
  try { data = await api('GET', `/api/users/${enc(u.username)}/traffic`); } catch (e) { toast(e.message, true); return; }
  const max = Math.max(1, ...data.days.map((d) => d.up_bytes + d.down_bytes));
  const rows = data.days.map((d) => {
    const total = d.up_bytes + d.down_bytes;
    return h('tr', {}, h('td', {}, d.date),
      h('td', { class: 'hist' }, h('div', { class: 'bar' }, h('div', { class: 'fill', style: { width: `${((100 * total) / max).toFixed(1)}%` } }))),
      h('td', {}, fmtBytes(total)));
  });
  await modal(`${t('history')}: ${u.username}`, h('div', { class: 'table-wrap tall' }, h('table', { id: 'history-table' }, h('tbody', {}, rows))),
    [{ label: t('close'), value: true }]);
}

/** Draws QR modules ("0101...", row by row) on a canvas. */
export function drawQr(canvas, qr) {
  const scale = 4;
  const quiet = 4;
  const size = (qr.width + 2 * quiet) * scale;
  canvas.width = size; canvas.height = size;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = '#000';
  for (let i = 0; i < qr.modules.length; i++) {
    if (qr.modules[i] === '1') ctx.fillRect((quiet + (i % qr.width)) * scale, (quiet + Math.floor(i / qr.width)) * scale, scale, scale);
  }
}

function port(name) {
  const p = live.system && (live.system.ports || []).find((x) => x.name === name);
  return p ? p.port : '';
}

export async function cardDialog(u) {
  const pass = h('input', { id: 'card-password', type: 'text', placeholder: t('password'), autocomplete: 'off' });
  const text = h('pre', { id: 'card-payload', class: 'payload' });
  const canvas = h('canvas', { id: 'card-qr', class: 'qr' });
  const host = location.hostname;
  const update = async () => {
    const mode = u.require_auth_header ? 'proxy' : 'uri';
    const payload = buildPayload({ method: 'GET', host, mode, user: u.username, pass: pass.value || 'PASSWORD', split: false });
    text.textContent = payload;
    try { drawQr(canvas, await api('POST', '/api/qr', { text: payload })); } catch { /* too long: no code */ }
  };
  pass.addEventListener('change', update);
  // Apps set their UDPGW to this address (reached through the SSH tunnel, not directly).
  const udpgw = port('udpgw') ? `  ·  UDPGW 127.0.0.1:${port('udpgw')}` : '';
  const body = h('div', { class: 'form' },
    h('p', { id: 'card-ports' }, `${t('host')}: ${host}  ·  HTTP ${port('wss_http')}  ·  TLS ${port('wss_tls')}${udpgw}`),
    field('password', pass), text, canvas);
  update();
  await modal(`${t('card')}: ${u.username}`, body, [{ label: t('close'), value: true }]);
}
