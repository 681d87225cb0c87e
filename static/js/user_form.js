// The add/edit user dialog and the traffic history. The form is two columns so it fits a
// 900 px screen; every field says what it does in both languages; errors appear next to the
// field they concern, translated (the server's text is matched, never shown raw). Plan
// fields (quota reset, expiry after first use) are sent only when the admin chose a value
// other than the default, so a panel without plans accepts the form unchanged.
import { api, enc } from './api.js';
import { dayInput, fmtBytes, h, modal, toast, validDay, withDayPicker } from './dom.js';
import { t } from './i18n.js';
import { basicToken } from './payload.js';
import { cardDialog } from './user_dialogs.js';

const GIB = 1024 ** 3;
export const MIN_PASSWORD = 8;

function field(key, input, hint) {
  return h('label', { class: 'field', dataset: { field: key } }, h('span', {}, t(key)), input,
    hint ? h('small', { class: 'hint' }, hint) : null, h('small', { class: 'field-error', id: `err-${key}` }));
}

/** Which field a refusal of the server concerns, and its text in the UI's language. */
export function fieldError(message) {
  const m = String(message || '').toLowerCase();
  const rules = [['password', 'password', 'err_password'], ['username', 'username', 'err_username'],
    ['already', 'username', 'err_exists'], ['quota', 'quota_gb', 'err_number'], ['note', 'note', 'err_note'],
    ['expires', 'expires_on', 'err_date'], ['days', 'days', 'err_number'], ['date', 'expires_on', 'err_date']];
  for (const [word, key, text] of rules) if (m.includes(word)) return { key, text: t(text) };
  return { key: null, text: t('err_bad_input') };
}

function planInputs(u) {
  const reset = h('select', { id: 'f-quota-reset' },
    ['none', 'daily', 'weekly', 'monthly'].map((v) => h('option', { value: v, selected: (u && u.quota_reset) === v }, t(`reset_${v}`))));
  const day = h('input', { id: 'f-reset-day', type: 'number', min: 1, max: 31, value: (u && u.quota_reset_day) || 1 });
  const firstUse = h('input', { id: 'f-first-use', type: 'number', min: 0, max: 36500,
    value: u && u.expire_after_first_use_days ? u.expire_after_first_use_days : '' });
  return { reset, day, firstUse };
}

/** The plan keys, only those the admin set to something other than the default. */
function planBody(P, u) {
  const out = {};
  const had = u && u.quota_reset && u.quota_reset !== 'none';
  if (P.reset.value !== 'none' || had) {
    out.quota_reset = P.reset.value;
    if (P.reset.value === 'weekly' || P.reset.value === 'monthly') out.quota_reset_day = Number(P.day.value) || 1;
  }
  // Only a change is sent: a used first-use user has a dated expiry, and the API refuses
  // a date together with the first-use days.
  const fu = Number(P.firstUse.value) || 0;
  if (fu !== ((u && u.expire_after_first_use_days) || 0)) out.expire_after_first_use_days = fu > 0 ? fu : null;
  return out;
}

/** Add (u = null) or edit a user. Resolves true when saved. */
export async function userDialog(u) {
  const isNew = !u;
  const never = !isNew && !u.expires_on;
  const I = {
    username: h('input', { id: 'f-username', value: u ? u.username : '', disabled: !isNew, autocomplete: 'off', maxlength: 32 }),
    password: h('input', { id: 'f-password', type: 'text', autocomplete: 'new-password', minlength: MIN_PASSWORD }),
    days: h('input', { id: 'f-days', type: 'number', min: 1, max: 36500, value: 30 }),
    never: h('input', { id: 'f-never', type: 'checkbox', checked: never }),
    expires_on: dayInput({ id: 'f-expires', value: u && u.expires_on ? u.expires_on : '' }),
    quota_gb: h('input', { id: 'f-quota', type: 'number', min: 0, step: 'any', value: u ? +(u.quota_bytes / GIB).toFixed(3) : 0 }),
    rate_kbps: h('input', { id: 'f-rate', type: 'number', min: 0, value: u ? u.rate_kbps : 0 }),
    max_connections: h('input', { id: 'f-maxconn', type: 'number', min: 0, value: u ? u.max_connections : 0 }),
    require_auth_header: h('input', { id: 'f-reqauth', type: 'checkbox', checked: u ? u.require_auth_header : true }),
    allow_shell: h('input', { id: 'f-shell', type: 'checkbox', checked: u ? u.allow_shell : false }),
    note: h('input', { id: 'f-note', value: u ? u.note : '', maxlength: 500 }),
  };
  const P = planInputs(u);
  const expiry = isNew ? I.days : I.expires_on;
  // "Days from first use" sets the expiry at the first connection: no date with it.
  const newFirstUse = () => (Number(P.firstUse.value) || 0) > 0 && !(u && u.expire_after_first_use_days);
  const syncNever = () => { expiry.disabled = I.never.checked || newFirstUse(); };
  I.never.addEventListener('change', syncNever);
  P.firstUse.addEventListener('input', syncNever);
  syncNever();
  const preview = h('code', { id: 'token-preview', class: 'token' }, '-');
  const update = () => { preview.textContent = I.password.value ? `Basic ${basicToken(I.username.value, I.password.value)}` : '-'; };
  I.username.addEventListener('input', update);
  I.password.addEventListener('input', update);
  const form = h('form', { class: 'form grid user-form', novalidate: true },
    field('username', I.username, isNew ? t('hint_username') : null),
    field(isNew ? 'password' : 'new_password', I.password, t('hint_password')),
    isNew ? field('days', I.days) : field('expires_on', withDayPicker(I.expires_on, t('pick_date'))),
    h('label', { class: 'check' }, I.never, t('never_expires')),
    field('quota_gb', I.quota_gb, t('hint_quota')), field('rate_kbps', I.rate_kbps, t('hint_rate')),
    field('max_connections', I.max_connections, t('hint_maxconn')), field('note', I.note),
    field('quota_reset', P.reset, t('hint_quota_reset')),
    field('quota_reset_day', P.day),
    field('first_use_days', P.firstUse, t('hint_first_use')),
    h('label', { class: 'check wide' }, I.require_auth_header, h('span', {}, t('require_auth_header'), h('small', { class: 'hint' }, t('hint_reqauth')))),
    h('label', { class: 'check wide' }, I.allow_shell, h('span', {}, t('allow_shell'), h('small', { class: 'hint' }, t('hint_shell')))),
    h('div', { class: 'field wide' }, h('span', {}, t('token_preview')), preview),
    h('p', { class: 'error wide', id: 'dialog-error' }));
  const showError = (key, text) => {
    for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
    form.querySelector('#dialog-error').textContent = '';
    const where = key && form.querySelector(`#err-${key === 'password' && !isNew ? 'new_password' : key}`);
    (where || form.querySelector('#dialog-error')).textContent = text;
  };
  const save = async (close) => {
    const pw = I.password.value;
    if ((isNew || pw) && [...pw].length < MIN_PASSWORD) return showError('password', t('err_password'));
    const day = I.expires_on.value.trim();
    if (!isNew && !I.never.checked && day && !validDay(day)) return showError('expires_on', t('err_date'));
    // An untouched quota goes back as the stored bytes: the GiB shown is rounded, and a save
    // that changes nothing must not change the quota (nor write an audit row).
    const quota = !isNew && I.quota_gb.value === String(+(u.quota_bytes / GIB).toFixed(3))
      ? { quota_bytes: u.quota_bytes } : { quota_gb: Number(I.quota_gb.value) || 0 };
    const limits = { ...quota, rate_kbps: Number(I.rate_kbps.value) || 0,
      max_connections: Number(I.max_connections.value) || 0, require_auth_header: I.require_auth_header.checked,
      allow_shell: I.allow_shell.checked, note: I.note.value, ...planBody(P, u) };
    try {
      if (isNew) {
        const when = I.never.checked || newFirstUse() ? { expires_on: null } : { days: Number(I.days.value) };
        const created = await api('POST', '/api/users', { username: I.username.value.trim(), password: pw, ...when, ...limits });
        toast(`${created.username}: ${t('saved')}`);
        close(true);
        // What the seller does next: send the customer their connection details.
        cardDialog(created, pw);
        return undefined;
      }
      // The expiry goes only when it changed (absent = unchanged): a user whose "days from
      // first use" plan already set it would otherwise send both, which the server refuses.
      const expiry = I.never.checked || newFirstUse() ? null : (day || null);
      const expires = expiry === (u.expires_on || null) ? {} : { expires_on: expiry };
      await api('PATCH', `/api/users/${enc(u.username)}`, { ...expires, ...limits });
      if (pw) await api('POST', `/api/users/${enc(u.username)}/password`, { password: pw });
      toast(`${u.username}: ${t('saved')}`);
      close(true);
    } catch (e) {
      const { key, text } = e.status >= 500 || !e.status ? { key: null, text: t('err_server') } : fieldError(e.message);
      showError(key, text);
    }
    return undefined;
  };
  return modal(isNew ? t('add_user') : `${t('edit')}: ${u.username}`, form, [
    { label: t('cancel'), value: false }, { label: t('save'), id: 'dialog-save', cls: 'primary', onClick: save }]);
}

/** The last days of traffic, newest first: up, down, total and a bar; totals on top. */
export async function historyDialog(u) {
  let data;
  try { data = await api('GET', `/api/users/${enc(u.username)}/traffic`); } catch { toast(`${u.username}: ${t('err_server')}`, true); return; }
  const days = [...data.days].sort((a, b) => (a.date < b.date ? 1 : -1));
  const max = Math.max(1, ...days.map((d) => d.up_bytes + d.down_bytes));
  const sum = (k) => days.reduce((s, d) => s + d[k], 0);
  const rows = days.map((d) => {
    const total = d.up_bytes + d.down_bytes;
    return h('tr', {}, h('td', {}, d.date), h('td', { class: 'num' }, fmtBytes(d.up_bytes)), h('td', { class: 'num' }, fmtBytes(d.down_bytes)),
      h('td', { class: 'num' }, fmtBytes(total)),
      h('td', { class: 'hist' }, h('div', { class: 'bar' }, h('div', { class: 'fill', style: { width: `${((100 * total) / max).toFixed(1)}%` } }))));
  });
  const head = h('thead', {}, h('tr', {}, ['date', 'upload', 'download', 'total', ''].map((k) => h('th', {}, k ? t(k) : ''))));
  const totals = h('p', { id: 'history-totals' }, `${t('total')}: ${fmtBytes(sum('up_bytes') + sum('down_bytes'))}  (↑ ${fmtBytes(sum('up_bytes'))}  ↓ ${fmtBytes(sum('down_bytes'))})`);
  await modal(`${t('history')}: ${u.username}`, h('div', {}, totals,
    h('div', { class: 'table-wrap tall' }, h('table', { id: 'history-table' }, head, h('tbody', {}, rows)))),
  [{ label: t('close'), value: true }]);
}
