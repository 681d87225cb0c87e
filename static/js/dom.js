// Building DOM without markup strings: every piece of text goes in as textContent, so
// nothing that came from users, logs or the network can become HTML.

/** h('div', {class: 'x', onclick: fn}, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    // CSSOM, not the style attribute: the CSP forbids inline style attributes.
    else if (k === 'style') Object.assign(el.style, v);
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces every child of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets text only when it changed: live cells update in place without flicker. */
export function setText(el, text) {
  const s = String(text);
  if (el.textContent !== s) el.textContent = s;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Display units: binary (KiB, MiB: 1024) or decimal (KB, MB: 1000), a setting kept in
 * localStorage; operators coming from the original expect decimal. */
export function unitsBinary() { return localStorage.getItem('units') !== 'decimal'; }

export function fmtBytes(n) {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const bin = unitsBinary();
  const step = bin ? 1024 : 1000;
  const units = bin ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= step && i < units.length - 1) { n /= step; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** `kbps` is KiB/s as the proxies report it. */
export function fmtSpeed(kbps) {
  const bytes = (Number(kbps) || 0) * 1024;
  const bin = unitsBinary();
  const k = bin ? 1024 : 1000;
  if (bytes >= k * k) return `${(bytes / k / k).toFixed(1)} ${bin ? 'MiB' : 'MB'}/s`;
  return `${(bytes / k).toFixed(1)} ${bin ? 'KiB' : 'KB'}/s`;
}

const pad = (n) => String(n).padStart(2, '0');

/** The browser's zone as an offset, e.g. "UTC+8", "UTC+5:30", "UTC". */
export function zoneLabel(d = new Date()) {
  const off = -d.getTimezoneOffset();
  if (!off) return 'UTC';
  const a = Math.abs(off);
  return `UTC${off > 0 ? '+' : '-'}${Math.floor(a / 60)}${a % 60 ? `:${pad(a % 60)}` : ''}`;
}

/** A local calendar date as YYYY-MM-DD. */
export function fmtDay(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `text` when it is a real calendar date written YYYY-MM-DD, else null. */
export function validDay(text) {
  const s = String(text || '').trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3] ? s : null;
}

/** A date field that shows and takes YYYY-MM-DD whatever the browser's locale (a native
 * date picker shows mm/dd/yyyy in en-US). Marked invalid while it holds something else. */
export function dayInput(attrs = {}) {
  const el = h('input', { type: 'text', inputmode: 'numeric', maxlength: 10, placeholder: 'YYYY-MM-DD',
    pattern: '\\d{4}-\\d{2}-\\d{2}', autocomplete: 'off', class: 'day-input', ...attrs });
  el.addEventListener('input', () => {
    const bad = el.value.trim() !== '' && !validDay(el.value);
    el.classList.toggle('invalid', bad);
    el.setAttribute('aria-invalid', String(bad));
  });
  return el;
}

/** `input` (a dayInput) with a calendar button: the browser's own picker opens on a hidden
 * native date field, whose value is always YYYY-MM-DD whatever the locale, and the chosen
 * day is copied into the text field. Typing stays the way that always works. */
export function withDayPicker(input, label) {
  const native = h('input', { type: 'date', class: 'day-native', tabindex: -1, 'aria-hidden': 'true', id: input.id && `${input.id}-native` });
  native.addEventListener('change', () => {
    if (!validDay(native.value)) return;
    input.value = native.value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const open = () => {
    if (input.disabled) return;
    native.value = validDay(input.value) || '';
    try { native.showPicker(); } catch { input.focus(); }
  };
  return h('div', { class: 'day-row' }, input, native,
    h('button', { type: 'button', class: 'day-btn', id: input.id && `${input.id}-pick`, title: label, 'aria-label': label, onclick: open }, label));
}

/** Unix seconds as the browser's local time with its zone: "2026-12-01 13:10:34 UTC+8". */
export function fmtTime(unix) {
  if (!unix) return '-';
  const d = new Date(unix * 1000);
  return `${fmtDay(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zoneLabel(d)}`;
}

/** Whole days from the browser's today to `day` (YYYY-MM-DD); negative once past. */
export function daysUntil(day, now = new Date()) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  if (!m) return null;
  const end = Date.UTC(+m[1], +m[2] - 1, +m[3]);
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((end - today) / 86400000);
}

/** YYYY-MM-DD plus `days` (calendar arithmetic, no time zone involved). */
export function addDays(day, days) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  const base = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : new Date();
  if (!m) base.setUTCHours(0, 0, 0, 0);
  base.setUTCDate(base.getUTCDate() + days);
  return base.toISOString().slice(0, 10);
}

/** A modal dialog; resolves when closed. `body` is a node, `buttons` [{label, value, cls}]. */
export function modal(title, body, buttons) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'modal' });
    const close = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    const bar = h('div', { class: 'modal-buttons' },
      buttons.map((b) => h('button', { type: 'button', class: b.cls || '', id: b.id, onclick: () => b.onClick ? b.onClick(close) : close(b.value) }, b.label)));
    dlg.append(h('h2', {}, title), body, bar);
    dlg.addEventListener('cancel', () => close(null));
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** A short message at the bottom of the screen. One at a time: a new one replaces the last,
 * so a burst of actions does not stack toasts over the page. */
let toastTimer = null;
export function toast(text, bad = false) {
  const old = document.querySelector('body > .toast');
  if (old) old.remove();
  clearTimeout(toastTimer);
  const el = h('div', { class: bad ? 'toast bad' : 'toast', role: 'status', id: 'toast' }, text);
  document.body.append(el);
  toastTimer = setTimeout(() => el.remove(), bad ? 6000 : 3500);
}
