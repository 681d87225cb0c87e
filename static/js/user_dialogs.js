// The connection card of a user (host, ports, a ready payload and its QR code). The add/edit
// dialog and the traffic history live in user_form.js.
import { api } from './api.js';
import { h, modal } from './dom.js';
import { t } from './i18n.js';
import { copyText } from './clipboard.js';
import { generatePayload } from './payload.js';

function field(key, input) {
  return h('label', { class: 'field' }, h('span', {}, t(key)), input);
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

// The card uses the configured public address (Settings), never the browser's address bar:
// the panel is often opened as 127.0.0.1 or a LAN name, which the proxy's whitelist refuses.
// `password`: known right after the user was created (the "send this to the customer" card).
export async function cardDialog(u, password = '') {
  const pub = await api('GET', '/api/public-address');
  const pass = h('input', { id: 'card-password', type: 'text', placeholder: t('password'), autocomplete: 'off', value: password });
  const preset = h('select', { id: 'card-preset' }, ['http_injector', 'http_custom', 'napsternetv'].map((p) => h('option', { value: p }, t(`pl_${p}`))));
  preset.value = 'http_custom';
  const text = h('pre', { id: 'card-payload', class: 'payload' });
  // The SSH account line apps import: host:port@user:pass.
  const account = h('pre', { id: 'card-account', class: 'payload' });
  const canvas = h('canvas', { id: 'card-qr', class: 'qr' });
  let latest = 0;
  const update = async () => {
    const mine = ++latest;
    canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    canvas.hidden = true;
    // No password typed: no payload with a made-up one, and no QR.
    account.textContent = pass.value && pub.host ? `${pub.host}:${pub.wss_port}@${u.username}:${pass.value}` : '';
    if (!pass.value) { text.textContent = t('pl_card_type_password'); return; }
    const auth = u.require_auth_header ? 'proxy' : 'uri';
    try {
      const r = await generatePayload({ preset: preset.value, auth, user: u.username, password: pass.value });
      const qr = await api('POST', '/api/qr', { text: r.payload });
      // Typing sends one request per key; only the newest answer is drawn.
      if (mine !== latest) return;
      text.textContent = r.payload;
      drawQr(canvas, qr);
      canvas.hidden = false;
    } catch (e) { if (mine === latest) text.textContent = e.message; }
  };
  pass.addEventListener('input', update);
  preset.addEventListener('change', update);
  const sni = pub.sni ? `  ·  SNI ${pub.sni}` : '';
  // Apps set their UDPGW to this address (reached through the SSH tunnel, not directly).
  const ports = pub.host
    ? `${t('host')}: ${pub.host}  ·  HTTP ${pub.wss_port}  ·  TLS ${pub.wss_tls_port}  ·  SSL ${pub.stunnel_port}${sni}  ·  UDPGW 127.0.0.1:${pub.udpgw_port}`
    : t('pl_no_public');
  const body = h('div', { class: 'form' }, h('p', { id: 'card-ports' }, ports),
    field('pl_preset', preset), field('password', pass), text,
    h('button', { type: 'button', id: 'card-copy-payload', onclick: () => copyText(text.textContent, u.username) }, t('copy')),
    account,
    h('button', { type: 'button', id: 'card-copy-account', onclick: () => copyText(account.textContent, u.username) }, t('copy')),
    canvas);
  update();
  await modal(`${t('card')}: ${u.username}`, body, [{ label: t('close'), value: true }]);
}
