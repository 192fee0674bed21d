// Calls to the engine's control-plane API (docs/api.md), same origin as the page.
// Every call carries the session cookie; state-changing calls add the CSRF double-submit header.
// A 401 anywhere notifies the listener registered with on_unauthorized().

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }

  // Returns the text shown to the operator, e.g. "refused: spot is killed".
  describe() {
    if (this.status === 409) return `refused: ${this.message}`;
    if (this.status === 503) return `not running: ${this.message}`;
    if (this.status === 0) return `network error: ${this.message}`;
    return `${this.code} (${this.status}): ${this.message}`;
  }
}

let unauthorized_listener = () => {};

export function on_unauthorized(listener) {
  unauthorized_listener = listener;
}

// Returns the value of the gauntlet_csrf cookie, or "" when there is none.
export function csrf_token() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'gauntlet_csrf') return decodeURIComponent(rest.join('='));
  }
  return '';
}

async function request(method, path) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf_token();
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin' });
  } catch (error) {
    throw new ApiError(0, 'network', error.message);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401) unauthorized_listener();
  if (!response.ok) {
    throw new ApiError(response.status, body?.error ?? `http_${response.status}`,
                       body?.message ?? response.statusText);
  }
  return body;
}

const segment = (value) => encodeURIComponent(value);

export const api = {
  session: () => request('GET', '/session'),
  status: () => request('GET', '/status'),
  assets: () => request('GET', '/assets'),
  positions: () => request('GET', '/positions'),
  quotes: () => request('GET', '/quotes'),
  strategies: () => request('GET', '/strategies'),
  equity: (mode) => request('GET', `/equity?mode=${segment(mode)}`),
  validation: (id) => request('GET', `/validation/${segment(id)}`),
  trades: (asset, page, page_size) =>
    request('GET', `/trades?asset=${segment(asset)}&page=${page}&page_size=${page_size}`),

  set_live: (asset, enabled) =>
    request('POST', `/live/${segment(asset)}/${enabled ? 'enable' : 'disable'}`),
  kill: (asset) => request('POST', `/kill/${segment(asset)}`),
  change_allocation: (asset, direction) =>
    request('POST', `/alloc/${segment(asset)}/${direction === 'add' ? 'add' : 'remove'}/100`),
  set_flag: (id, flag) => request('POST', `/strategy/${segment(id)}/flag/${segment(flag)}`),
  clear_flag: (id, flag) => request('DELETE', `/strategy/${segment(id)}/flag/${segment(flag)}`),
};
