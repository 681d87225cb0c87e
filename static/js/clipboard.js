// Copy to the clipboard from any origin. The Clipboard API exists only in a secure context
// (HTTPS or localhost); a panel opened as http://IP:PORT/ or by a domain over plain HTTP has
// no navigator.clipboard, so the text goes through a hidden textarea and execCommand('copy'),
// which works there while the click's user activation lasts.
import { toast } from './dom.js';
import { t } from './i18n.js';

function viaTextarea(text) {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.append(area);
  area.select();
  area.setSelectionRange(0, text.length);
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  area.remove();
  return ok;
}

/** Copies `text`; a toast says whether it worked (`what` names what was copied). */
export async function copyText(text, what = '') {
  let ok = false;
  if (window.isSecureContext && navigator.clipboard && navigator.clipboard.writeText) {
    try { await navigator.clipboard.writeText(text); ok = true; } catch { ok = false; }
  }
  if (!ok) ok = viaTextarea(text);
  const label = what ? `${what}: ` : '';
  toast(ok ? `${label}${t('copied')}` : `${label}${t('copy_failed')}`, !ok);
  return ok;
}
