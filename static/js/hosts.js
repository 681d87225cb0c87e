// Host whitelist editor: one name per line; the server validates, deduplicates and reloads
// every proxy.
import { api } from './api.js';
import { h, toast } from './dom.js';
import { t } from './i18n.js';
import { subscribe } from './live.js';

let unsubscribe = null;

export function render(root) {
  const area = h('textarea', { id: 'hosts-text', rows: 12, spellcheck: 'false' });
  const load = () => api('GET', '/api/hosts').then((r) => { area.value = r.hosts.join('\n'); }).catch(() => {});
  const save = async () => {
    const hosts = area.value.split('\n').map((s) => s.trim()).filter(Boolean);
    try { const r = await api('PUT', '/api/hosts', { hosts }); area.value = r.hosts.join('\n'); toast(t('saved')); }
    catch (e) { toast(e.message, true); }
  };
  root.append(h('section', { class: 'panel' }, h('h2', {}, t('nav_hosts')), h('p', {}, t('hosts_help')), area,
    h('button', { type: 'button', id: 'hosts-save', class: 'primary', onclick: save }, t('save'))));
  load();
  unsubscribe = subscribe((m) => { if (m.type === 'hosts_changed') load(); });
}

export function stop() { if (unsubscribe) unsubscribe(); }
