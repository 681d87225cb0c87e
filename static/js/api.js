// The panel API as the page calls it: same origin, the session cookie, and the
// X-Requested-With header the CSRF gate asks for on every change.

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { 'X-Requested-With': 'wss-panel' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let data = null;
  const text = await res.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (res.status === 401 && path !== '/api/login') {
    location.replace('/login.html');
    throw new ApiError(401, 'logged out');
  }
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || res.statusText);
  return data;
}

export const enc = encodeURIComponent;
