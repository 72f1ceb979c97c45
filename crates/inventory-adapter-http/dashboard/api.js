// Calls the API as the signed-in user. Every refusal becomes an ApiError carrying the API's
// own code and message, which the page shows as they are.
import { currentSession } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }

  /** "INSUFFICIENT_STOCK: Only 2 units available (request 6f2c…)". */
  describe() {
    const request = this.requestId ? ` (request ${this.requestId})` : '';
    return `${this.code}: ${this.message}${request}`;
  }
}

/** A random Idempotency-Key, so that a retried submit never applies twice. */
export function idempotencyKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `path` with the query parameters that are set. */
export function withQuery(path, parameters) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const session = currentSession();
  const init = { method, headers: { Accept: 'application/json', ...headers }, cache: 'no-store' };
  if (session) init.headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'UNREACHABLE', 'The server cannot be reached.');
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = json && json.error ? json.error : {};
    throw new ApiError(
      response.status,
      error.code || `HTTP_${response.status}`,
      error.message || text || response.statusText,
      error.request_id || response.headers.get('x-request-id'),
    );
  }
  return json;
}
