// The payload generator (the original's tool, kept): HTTP Injector / HTTP Custom style
// payloads with [crlf] and [split] markers. Also used by the user's connection card.
import { h, toast } from './dom.js';
import { t } from './i18n.js';

/** base64 of "user:pass" in UTF-8 (btoa alone fails on non-Latin-1 text). */
export function basicToken(user, pass) {
  const bytes = new TextEncoder().encode(`${user}:${pass}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** { method, host, mode: proxy|uri|none, user, pass, split, userAgent, onlineHost } */
export function buildPayload(o) {
  const path = o.mode === 'uri' ? `/?user=${encodeURIComponent(o.user)}` : '/';
  const lines = [`${o.method} ${path} HTTP/1.1`, `Host: ${o.host}`];
  if (o.onlineHost) lines.push(`X-Online-Host: ${o.host}`);
  if (o.userAgent) lines.push('User-Agent: [ua]');
  lines.push('Upgrade: websocket', 'Connection: Upgrade');
  if (o.mode === 'proxy') lines.push(`Proxy-Authorization: Basic ${basicToken(o.user, o.pass)}`);
  const main = `${lines.join('[crlf]')}[crlf][crlf]`;
  if (!o.split) return main;
  return `GET / HTTP/1.1[crlf]Host: ${o.host}[crlf][crlf][split]${main}`;
}

export function render(root) {
  const I = {
    method: h('select', { id: 'p-method' }, ['GET', 'POST', 'PUT', 'CONNECT', 'PATCH'].map((m) => h('option', { value: m }, m))),
    host: h('input', { id: 'p-host', value: location.hostname }),
    mode: h('select', { id: 'p-mode' }, [['proxy', 'Proxy-Authorization'], ['uri', '/?user='], ['none', '-']].map(([v, l]) => h('option', { value: v }, l))),
    user: h('input', { id: 'p-user', autocomplete: 'off' }),
    pass: h('input', { id: 'p-pass', autocomplete: 'off' }),
    split: h('input', { id: 'p-split', type: 'checkbox' }),
    onlineHost: h('input', { type: 'checkbox' }),
    userAgent: h('input', { type: 'checkbox' }),
  };
  const out = h('pre', { id: 'p-out', class: 'payload' });
  const gen = () => {
    out.textContent = buildPayload({ method: I.method.value, host: I.host.value.trim(), mode: I.mode.value, user: I.user.value,
      pass: I.pass.value, split: I.split.checked, onlineHost: I.onlineHost.checked, userAgent: I.userAgent.checked });
  };
  for (const el of Object.values(I)) el.addEventListener('input', gen);
  const f = (key, el) => h('label', { class: 'field' }, h('span', {}, t(key)), el);
  root.append(h('section', { class: 'panel' }, h('h2', {}, t('nav_payload')),
    h('div', { class: 'form grid' }, f('method', I.method), f('host', I.host), f('auth_mode', I.mode), f('username', I.user), f('password', I.pass),
      h('label', { class: 'check' }, I.split, t('split')),
      h('label', { class: 'check' }, I.onlineHost, 'X-Online-Host'), h('label', { class: 'check' }, I.userAgent, 'User-Agent')),
    out,
    h('button', { type: 'button', onclick: () => navigator.clipboard.writeText(out.textContent).then(() => toast(t('copied'))) }, t('copy'))));
  gen();
}
