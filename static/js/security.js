// Security: global IP bans with reason and time; ban and unban.
import { api, enc } from './api.js';
import { fill, fmtTime, h, toast } from './dom.js';
import { t } from './i18n.js';

export function render(root) {
  const tbody = h('tbody', { id: 'bans-body' });
  const ip = h('input', { id: 'ban-ip', placeholder: 'IP / CIDR' });
  const reason = h('input', { id: 'ban-reason', placeholder: t('reason'), maxlength: 200 });
  const load = async () => {
    let bans = [];
    try { bans = await api('GET', '/api/bans'); } catch { return; }
    fill(tbody, bans.length ? bans.map((b) => h('tr', {}, h('td', {}, b.ip), h('td', {}, b.reason), h('td', {}, fmtTime(b.created_at)),
      h('td', {}, b.added_by),
      h('td', {}, h('button', { type: 'button', class: 'small', onclick: async () => {
        try { await api('DELETE', `/api/bans/${enc(b.ip)}`); toast(t('done')); } catch (e) { toast(e.message, true); }
        load();
      } }, t('unban'))))) : h('tr', {}, h('td', { colspan: 5 }, t('no_data'))));
  };
  const ban = async () => {
    try { await api('POST', '/api/bans', { ip: ip.value.trim(), reason: reason.value.trim() }); ip.value = ''; reason.value = ''; toast(t('done')); }
    catch (e) { toast(e.message, true); }
    load();
  };
  root.append(h('section', { class: 'panel' }, h('h2', {}, t('nav_security')),
    h('div', { class: 'filters' }, ip, reason, h('button', { type: 'button', class: 'danger', onclick: ban }, t('ban'))),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['ip', 'reason', 'time', 'who', 'actions'].map((k) => h('th', {}, t(k))))), tbody))));
  load();
}
