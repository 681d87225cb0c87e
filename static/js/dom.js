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

export function fmtBytes(n) {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function fmtSpeed(kbps) {
  const v = Number(kbps) || 0;
  if (v >= 1024) return `${(v / 1024).toFixed(1)} MiB/s`;
  return `${v.toFixed(1)} KiB/s`;
}

export function fmtTime(unix) {
  if (!unix) return '-';
  const d = new Date(unix * 1000);
  return d.toISOString().replace('T', ' ').slice(0, 19);
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

/** A short message at the bottom of the screen. */
export function toast(text, bad = false) {
  const el = h('div', { class: bad ? 'toast bad' : 'toast', role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 4000);
}
