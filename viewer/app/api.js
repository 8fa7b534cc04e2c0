// The viewer's API: JSON over fetch; the token travels in the HttpOnly cookie the sign-in sets, never in a URL.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function answer(resp) {
  if (resp.ok) return resp.status === 204 ? null : resp.json();
  let message = `${resp.status} ${resp.statusText}`;
  try {
    const body = await resp.json();
    if (body && body.error) message = body.error;
  } catch { /* not JSON */ }
  throw new ApiError(message, resp.status);
}

/** GET a viewer endpoint with query parameters (empty ones left out). */
export async function get(path, params = {}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const url = `/view/api/${path}${q.toString() ? '?' + q : ''}`;
  return answer(await fetch(url, { credentials: 'same-origin' }));
}

/** Who the viewer is signed in as: `{mode, workspaces}`; throws ApiError 401 when not. */
export const session = () => get('session');

/** Signs in with a token (kept by the browser as an HttpOnly cookie). */
export async function signIn(token) {
  return answer(await fetch('/view/api/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  }));
}

export async function signOut() {
  return answer(await fetch('/view/api/session', { method: 'DELETE', credentials: 'same-origin' }));
}

/** A workspace's API path. */
export const ws = (w) => `ws/${encodeURIComponent(w)}`;

/** A table's API path. */
export const table = (w, t) => `${ws(w)}/tables/${encodeURIComponent(t)}`;

/** The URL of a cell's bytes (images and videos load it directly; ranges work). */
export const cellUrl = (w, t, rowid, column) =>
  `/view/api/${table(w, t)}/rows/${encodeURIComponent(rowid)}/cells/${encodeURIComponent(column)}`;
