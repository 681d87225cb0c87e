// The dashboard's alert row: what needs the operator now, each with its fix. Derived from
// the system status (the same payload as the cards), so it updates with every push. Pure:
// status in, a list of { key, text, fix } out; the dashboard draws them.
import { fmtDay } from './dom.js';
import { t } from './i18n.js';

const DISK_LOW_PERCENT = 90;
/** The certificate alert shows from two weeks before notAfter. */
const CERT_WARN_DAYS = 14;

/** The alerts for one system status. */
export function alertsOf(s) {
  if (!s) return [];
  const out = [];
  const port = (name) => (s.ports || []).find((p) => p.name === name);
  const ssh = port('ssh_internal');
  if (ssh && !ssh.listening) out.push({ key: 'sshd', text: t('alert_sshd').replace('{port}', ssh.port), fix: t('fix_sshd') });
  for (const name of ['wss_http', 'wss_tls']) {
    const p = port(name);
    if (p && !p.listening) out.push({ key: `port-${name}`, text: t('alert_port').replace('{port}', p.port), fix: t('fix_port') });
  }
  if (Array.isArray(s.nodes) && s.nodes.length === 0) out.push({ key: 'node', text: t('alert_node'), fix: t('fix_node') });
  if (s.disk && s.disk.total && (100 * s.disk.used) / s.disk.total >= DISK_LOW_PERCENT) {
    out.push({ key: 'disk', text: t('alert_disk').replace('{pct}', ((100 * s.disk.used) / s.disk.total).toFixed(0)), fix: t('fix_disk') });
  }
  for (const [name, state] of Object.entries(s.services || {})) {
    if (state !== 'active' && state !== 'unknown') out.push({ key: `svc-${name}`, text: t('alert_service').replace('{name}', name).replace('{state}', state), fix: `sudo systemctl restart ${name}; journalctl -u ${name} -n 50` });
  }
  if (s.store && (s.store.writable === false || s.store.low)) {
    const why = s.store.error || t('store_space_left').replace('{mib}', Math.floor((s.store.free_bytes || 0) / 1048576));
    out.push({ key: 'store', text: t('alert_store').replace('{error}', why), fix: t('fix_store') });
  }
  if (s.cert && Number.isFinite(s.cert.days_left) && s.cert.days_left <= CERT_WARN_DAYS) {
    const day = fmtDay(new Date(s.cert.not_after * 1000));
    const text = s.cert.days_left < 0 ? t('alert_cert_expired') : t('alert_cert').replace('{n}', s.cert.days_left);
    out.push({ key: 'cert', text: text.replace('{date}', day), fix: t('fix_cert') });
  }
  return out;
}
