// The signed-in user: a pasted bearer token, kept in session storage (gone when the tab
// closes). The claims are read only to arrange the page (a vendor's store first); the
// server checks the token on every call.
const KEY = 'inventory.dashboard.token';

let session = load();

function load() {
  try {
    const token = sessionStorage.getItem(KEY);
    return token ? describe(token) : null;
  } catch {
    return null;
  }
}

/** The token's claims, or null when it is not a JWT. */
function describe(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims.sub !== 'string' || typeof claims.role !== 'string') return null;
    return {
      token,
      subject: claims.sub,
      role: claims.role,
      store: typeof claims.store_id === 'string' ? claims.store_id : null,
      expiresAt: typeof claims.exp === 'number' ? claims.exp : null,
    };
  } catch {
    return null;
  }
}

export function currentSession() {
  return session;
}

/** Staff (admins and vendors) read stock, events and reservations. */
export function isStaff() {
  return session !== null && (session.role === 'admin' || session.role === 'vendor');
}

/** Whether the signed-in user may change this store's stock. */
export function mayChangeStock(storeId) {
  if (!session) return false;
  return session.role === 'admin' || (session.role === 'vendor' && session.store === storeId);
}

/** Keeps `token`; returns its session, or null (nothing kept) when it is not a token. */
export function signIn(token) {
  const described = describe(token.trim());
  if (!described) return null;
  session = described;
  try {
    sessionStorage.setItem(KEY, described.token);
  } catch {
    // Private mode without storage: signed in for this page only.
  }
  return session;
}

export function signOut() {
  session = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing was kept.
  }
}
