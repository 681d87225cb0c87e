// The live socket (/ws/ui): connects, reconnects with back-off, drives the connection light
// and hands every message to the subscribers. The latest live_update is kept so that a view
// opened later starts from it; the last 60 totals feed the dashboard chart.
import { $, setText } from './dom.js';
import { t } from './i18n.js';

const listeners = new Set();
export const live = { last: null, history: [], state: 'connecting', system: null };
let backoff = 1000;

export function subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function setState(state) {
  live.state = state;
  const light = $('#live-light');
  if (!light) return;
  light.className = `light ${state}`;
  light.dataset.state = state;
  setText($('#live-text'), t(`live_${state}`));
  // A banner while the socket is down: the numbers on the page are frozen until it is back.
  const banner = $('#conn-banner');
  if (banner) { banner.hidden = state !== 'lost'; setText(banner, t('conn_lost')); }
}

export function ingest(msg) {
  if (msg.type === 'live_update') {
    live.last = msg;
    live.history.push({ at: msg.at, up: msg.up, down: msg.down });
    if (live.history.length > 60) live.history.splice(0, live.history.length - 60);
  } else if (msg.type === 'system_update') {
    live.system = msg.payload;
    showTrial(msg.payload);
  }
  for (const fn of listeners) fn(msg);
}

export function connect() {
  setState('connecting');
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${location.host}/ws/ui`);
  ws.onopen = () => { backoff = 1000; setState('live'); };
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    ingest(msg);
  };
  ws.onclose = () => {
    setState('lost');
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
  };
}

export function refreshLightText() { setState(live.state); showTrial(live.system); }

/** The trial-mode banner (`wss-panel up`): nothing on this page touches the real system. */
export function showTrial(s) {
  const banner = $('#trial-banner');
  if (!banner || !s) return;
  banner.hidden = !s.simulated;
  setText(banner, t('trial_banner'));
}
