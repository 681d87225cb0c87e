// The payload generator view (the original's tool, with presets): a thin form over
// POST /api/payload, which owns the format, so the UI, the connection card and the tests
// share one generator. Also the SNI finder (POST /api/sni, admin only, public hosts only).
import { api } from './api.js';
import { copyText } from './clipboard.js';
import { h, toast } from './dom.js';
import { t } from './i18n.js';

/** base64 of "user:pass" in UTF-8 (btoa alone fails on non-Latin-1 text); the add/edit preview. */
export function basicToken(user, pass) {
  const bytes = new TextEncoder().encode(`${user}:${pass}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The generated payload text for `form` (preset, split, methods, hosts, headers, auth, user, password). */
export async function generatePayload(form) {
  return api('POST', '/api/payload', form);
}

const HEADERS = [['host', 'Host'], ['keep_alive', 'Keep-Alive'], ['user_agent', 'User-Agent'], ['websocket', 'WebSocket'], ['online_host', 'X-Online-Host']];

function select(id, values) {
  return h('select', { id }, values.map((v) => h('option', { value: v }, v)));
}

function sniFinder() {
  const host = h('input', { id: 'sni-host', placeholder: 'example.com' });
  const out = h('pre', { id: 'sni-out', class: 'payload' });
  const find = async () => {
    out.textContent = '…';
    try {
      const r = await api('POST', '/api/sni', { host: host.value.trim() });
      out.textContent = `${r.address}\n${r.names.join('\n') || t('pl_no_names')}`;
    } catch (e) { out.textContent = e.message; }
  };
  return h('section', { class: 'panel' }, h('h2', {}, t('pl_sni_finder')), h('p', { class: 'muted' }, t('pl_sni_hint')),
    h('div', { class: 'filters' }, host, h('button', { type: 'button', id: 'sni-find', onclick: find }, t('pl_find'))), out);
}

export async function render(root) {
  const [{ presets, r2_methods: r2Methods }, pub, users] = await Promise.all([
    api('GET', '/api/payload/presets'), api('GET', '/api/public-address'), api('GET', '/api/users').catch(() => [])]);
  const I = {
    preset: h('select', { id: 'p-preset' }, presets.map((p) => h('option', { value: p.preset }, t(`pl_${p.preset}`)))),
    split: h('input', { id: 'p-split', type: 'checkbox' }),
    r1_method: select('p-r1-method', ['CONNECT', 'GET', 'POST']),
    r1_host: h('input', { id: 'p-r1-host' }),
    r2_method: select('p-r2-method', r2Methods),
    r2_host: h('input', { id: 'p-r2-host', placeholder: pub.host || t('pl_no_public') }),
    auth: h('select', { id: 'p-mode' }, [['proxy', 'Proxy-Authorization'], ['uri', '/?user='], ['none', t('pl_auth_none')]].map(([v, l]) => h('option', { value: v }, l))),
    user: h('select', { id: 'p-user' }, h('option', { value: '' }, '—'), (Array.isArray(users) ? users : users.users || []).map((u) => h('option', { value: u.username }, u.username))),
    password: h('input', { id: 'p-pass', type: 'text', autocomplete: 'off', placeholder: t('pl_password_hint') }),
  };
  const checks = Object.fromEntries(HEADERS.map(([k]) => [k, h('input', { type: 'checkbox', id: `p-h-${k}` })]));
  const out = h('pre', { id: 'p-out', class: 'payload' });
  const target = h('p', { id: 'p-target', class: 'muted' });
  const fillPreset = () => {
    const p = presets.find((x) => x.preset === I.preset.value);
    I.split.checked = p.split; I.r1_method.value = p.r1_method; I.r1_host.value = p.r1_host;
    I.r2_method.value = p.r2_method; I.auth.value = p.auth;
    for (const [k] of HEADERS) checks[k].checked = p.headers[k];
  };
  // Answers can arrive out of order: only the newest request's answer is shown.
  let latest = 0;
  const gen = async () => {
    const mine = ++latest;
    const form = { preset: I.preset.value, split: I.split.checked, r1_method: I.r1_method.value, r1_host: I.r1_host.value,
      r2_method: I.r2_method.value, r2_host: I.r2_host.value, auth: I.auth.value, user: I.user.value, password: I.password.value,
      headers: Object.fromEntries(HEADERS.map(([k]) => [k, checks[k].checked])) };
    try {
      const r = await generatePayload(form);
      if (mine !== latest) return;
      out.textContent = r.payload;
      target.textContent = `[host_port] = ${r.host_port}`;
    } catch (e) { if (mine === latest) { out.textContent = e.message; target.textContent = ''; } }
  };
  I.preset.addEventListener('change', () => { fillPreset(); gen(); });
  // Plaintext passwords are not stored: picking a user clears the password field.
  I.user.addEventListener('change', () => { I.password.value = ''; gen(); });
  for (const el of [...Object.values(I), ...Object.values(checks)]) if (el !== I.preset && el !== I.user) el.addEventListener('change', gen);
  const f = (key, el) => h('label', { class: 'field' }, h('span', {}, t(key)), el);
  root.append(h('section', { class: 'panel' }, h('h2', {}, t('nav_payload')),
    pub.host ? null : h('p', { class: 'muted', id: 'p-no-public' }, t('pl_no_public')),
    h('div', { class: 'form grid' }, f('pl_preset', I.preset), h('label', { class: 'check' }, I.split, t('pl_split_r1')),
      f('pl_r1_method', I.r1_method), f('pl_r1_host', I.r1_host), f('pl_r2_method', I.r2_method), f('pl_r2_host', I.r2_host),
      f('auth_mode', I.auth), f('username', I.user), f('password', I.password)),
    h('div', { class: 'filters' }, HEADERS.map(([k, label]) => h('label', { class: 'check' }, checks[k], label))),
    target, out,
    h('button', { type: 'button', id: 'p-copy', onclick: () => copyText(out.textContent, t('nav_payload')) }, t('copy'))),
  sniFinder());
  fillPreset();
  await gen();
}
