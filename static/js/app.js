// The panel page: checks the session, starts the live socket, and shows one view at a time
// (chosen by the URL hash). Views are modules with `render(root)` and an optional `stop()`.
import { api } from './api.js';
import { $, unitsBinary } from './dom.js';
import { applyI18n, applyTheme, toggleLang, toggleTheme } from './i18n.js';
import { connect, ingest, live, refreshLightText, showTrial } from './live.js';
import * as dashboard from './dashboard.js';
import * as users from './users.js';
import * as tunnels from './tunnels.js';
import * as nodes from './nodes.js';
import * as payload from './payload.js';
import * as hosts from './hosts.js';
import * as security from './security.js';
import * as settings from './settings.js';

const VIEWS = { dashboard, users, tunnels, nodes, payload, hosts, security, settings };
let current = null;

function show() {
  const name = (location.hash || '#dashboard').slice(1);
  const view = VIEWS[name] || dashboard;
  if (current && current.stop) current.stop();
  current = view;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.getAttribute('href') === `#${name}`);
  const root = $('#view');
  root.replaceChildren();
  root.dataset.view = name;
  view.render(root);
}

async function main() {
  applyTheme();
  applyI18n();
  await api('GET', '/api/session');
  $('#lang-toggle').addEventListener('click', toggleLang);
  $('#theme-toggle').addEventListener('click', toggleTheme);
  // Display units: binary (GiB) or decimal (GB, as the original panel showed).
  const units = $('#units-toggle');
  units.textContent = unitsBinary() ? 'GiB' : 'GB';
  units.addEventListener('click', () => {
    localStorage.setItem('units', unitsBinary() ? 'decimal' : 'binary');
    units.textContent = unitsBinary() ? 'GiB' : 'GB';
    show();
  });
  $('#logout').addEventListener('click', async () => {
    await api('POST', '/api/logout').catch(() => {});
    location.replace('/login.html');
  });
  document.addEventListener('langchange', () => { refreshLightText(); show(); });
  window.addEventListener('hashchange', show);
  api('GET', '/api/live').then(ingest).catch(() => {});
  api('GET', '/api/system/status').then((s) => { live.system = s; showTrial(s); }).catch(() => {});
  connect();
  show();
}

main().catch(() => {});
