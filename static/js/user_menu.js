// The per-user action menu (⋮): one button per row instead of eight; the menu opens over
// the page, closes on a choice, a click elsewhere or Escape. Actions that cut a customer off
// or lose data ask first; renew shows the current expiry and the date it will become.
import { api, enc } from './api.js';
import { addDays, daysUntil, h, modal, toast } from './dom.js';
import { t } from './i18n.js';
import { cardDialog } from './user_dialogs.js';
import { historyDialog, userDialog } from './user_form.js';

let open = null;

function closeMenu() {
  if (!open) return;
  open.menu.remove();
  document.removeEventListener('pointerdown', open.outside, true);
  document.removeEventListener('keydown', open.key, true);
  open.button.setAttribute('aria-expanded', 'false');
  open = null;
}

/** Runs one action; the toast names the user and the action. */
export async function act(u, action, method, path, body, reload) {
  try {
    await api(method, path, body);
    toast(`${u.username}: ${t(action)} ✓`);
  } catch (e) {
    toast(`${u.username}: ${t(action)} ✗ ${errorText(e)}`, true);
  }
  if (reload) await reload();
}

/** A failed call in the UI's language: known statuses get a translated reason; the server's
 * own text is kept only when it is a short plain sentence (never a path or a stack). */
export function errorText(e) {
  const s = e && e.status;
  if (s === 404) return t('err_not_found');
  if (s === 409) return t('err_conflict');
  if (s === 403) return t('err_forbidden');
  if (s >= 500 || !s) return t('err_server');
  return t('err_bad_input');
}

export async function confirmAction(action, names, danger = true) {
  const list = names.length > 5 ? `${names.slice(0, 5).join(', ')} … (+${names.length - 5})` : names.join(', ');
  return modal(t(action), h('p', { id: 'confirm-text' }, `${t(`confirm_${action}`)} ${list}`), [
    { label: t('cancel'), value: false },
    { label: t(action), value: true, cls: danger ? 'danger' : 'primary', id: 'confirm-ok' }]);
}

/** Asks for days; shows the user's current expiry and the resulting date. `u` may be null
 * (a batch), then only the count of days is asked. */
export async function askDays(u) {
  const input = h('input', { type: 'number', min: 1, max: 36500, value: 30, id: 'renew-days' });
  const result = h('strong', { id: 'renew-result' });
  const today = new Date().toISOString().slice(0, 10);
  const from = u && u.expires_on && u.expires_on > today ? u.expires_on : today;
  const update = () => {
    const d = Math.floor(Number(input.value));
    result.textContent = d >= 1 && d <= 36500 ? addDays(from, d) : '-';
  };
  input.addEventListener('input', update);
  update();
  const left = u ? daysUntil(u.expires_on) : null;
  const body = h('div', { class: 'form' },
    u ? h('p', {}, `${t('user')}: `, h('strong', {}, u.username)) : null,
    u ? h('p', { id: 'renew-current' }, `${t('current_expiry')}: ${u.expires_on || t('never')}${left === null ? '' : ` (${daysText(left)})`}`) : null,
    h('label', { class: 'field' }, h('span', {}, t('days')), input),
    u ? h('p', {}, `${t('new_expiry')}: `, result) : null);
  const ok = await modal(t('renew'), body, [
    { label: t('cancel'), value: false }, { label: t('renew'), value: true, cls: 'primary', id: 'renew-ok' }]);
  const d = Math.floor(Number(input.value));
  return ok && d >= 1 && d <= 36500 ? d : null;
}

/** "12 days left", "expires today", "expired 3 days ago". */
export function daysText(n) {
  if (n === null || n === undefined) return t('never');
  if (n > 0) return t('days_left').replace('{n}', n);
  if (n === 0) return t('expires_today');
  return t('expired_ago').replace('{n}', -n);
}

function items(u, reload) {
  const n = enc(u.username);
  const stopped = u.status === 'paused' || u.status === 'fused';
  return [
    ['edit', () => userDialog(u).then((c) => c && reload())],
    ['card', () => cardDialog(u)],
    ['history', () => historyDialog(u)],
    ['renew', async () => { const d = await askDays(u); if (d) act(u, 'renew', 'POST', `/api/users/${n}/renew`, { days: d }, reload); }],
    stopped ? ['resume', () => act(u, 'resume', 'POST', `/api/users/${n}/resume`, undefined, reload)]
      : ['pause', () => act(u, 'pause', 'POST', `/api/users/${n}/pause`, undefined, reload)],
    ['kick', async () => { if (await confirmAction('kick', [u.username])) act(u, 'kick', 'POST', `/api/users/${n}/kick`, undefined, reload); }],
    ['reset', async () => { if (await confirmAction('reset', [u.username])) act(u, 'reset', 'POST', `/api/users/${n}/reset-traffic`, undefined, reload); }],
    ['delete', async () => { if (await confirmAction('delete', [u.username])) act(u, 'delete', 'DELETE', `/api/users/${n}`, undefined, reload); }, 'danger'],
  ];
}

function show(button, u, reload) {
  const menu = h('div', { class: 'menu', role: 'menu', id: 'user-menu', dataset: { user: u.username } },
    items(u, reload).map(([key, fn, cls]) => h('button', { type: 'button', role: 'menuitem', class: cls || '', dataset: { act: key },
      onclick: () => { closeMenu(); fn(); } }, t(key))));
  document.body.append(menu);
  // Below the button, kept inside the window (a row at the bottom opens upwards).
  const r = button.getBoundingClientRect();
  const m = menu.getBoundingClientRect();
  const top = r.bottom + m.height > window.innerHeight ? Math.max(4, r.top - m.height) : r.bottom;
  const left = Math.max(4, Math.min(r.right - m.width, window.innerWidth - m.width - 4));
  Object.assign(menu.style, { top: `${top}px`, left: `${left}px` });
  const outside = (e) => { if (!menu.contains(e.target) && e.target !== button) closeMenu(); };
  const key = (e) => { if (e.key === 'Escape') { closeMenu(); button.focus(); } };
  document.addEventListener('pointerdown', outside, true);
  document.addEventListener('keydown', key, true);
  button.setAttribute('aria-expanded', 'true');
  open = { menu, button, outside, key };
  menu.querySelector('button').focus();
}

/** The ⋮ button of one user. */
export function menuButton(u, reload) {
  return h('button', { type: 'button', class: 'small menu-btn', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
    'aria-label': `${t('actions')}: ${u.username}`, title: t('actions'), dataset: { menu: u.username },
    onclick: (e) => { const same = open && open.button === e.currentTarget; closeMenu(); if (!same) show(e.currentTarget, u, reload); } }, '⋮');
}

export { closeMenu };
