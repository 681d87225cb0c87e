// The login page: posts the form as JSON (with the CSRF header) and goes to the panel.
import { api, ApiError } from './api.js';
import { $ } from './dom.js';
import { applyI18n, applyTheme, t, toggleLang, toggleTheme } from './i18n.js';

applyTheme();
applyI18n();
$('#lang-toggle').addEventListener('click', toggleLang);
$('#theme-toggle').addEventListener('click', toggleTheme);
// After a password change every session ends; say so instead of a bare login form.
if (location.hash === '#password-changed') {
  const note = $('#login-note');
  note.textContent = t('pw_changed');
  note.hidden = false;
}
$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const err = $('#login-error');
  err.textContent = '';
  $('#login-submit').disabled = true;
  try {
    await api('POST', '/api/login', { username: $('#login-username').value, password: $('#login-password').value });
    location.replace('/');
  } catch (e) {
    err.textContent = e instanceof ApiError && e.status === 429 ? t('throttled') : t('bad_login');
    err.dataset.status = e.status || '';
  } finally {
    $('#login-submit').disabled = false;
  }
});
