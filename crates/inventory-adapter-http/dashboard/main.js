// The dashboard: wires the live stream to the grid, the feed, the chart and the panels, and
// the sign-in form to the session.
import { api, ApiError, withQuery } from './api.js';
import { currentSession, isStaff, mayChangeStock, signIn, signOut } from './session.js';
import { openLiveStream } from './live.js';
import { createGrid } from './grid.js';
import { createAdjustDialog } from './adjust.js';
import { createFeed } from './feed.js';
import { createLowStock, createExpiring } from './panels.js';
import { createChart } from './chart.js';
import { hint } from './text.js';

const PRODUCTS_SHOWN = 50;
// Events of the log the feed starts with when staff sign in.
const FEED_HISTORY = 50;
const SNAPSHOT_CONCURRENCY = 6;
const RETRY_MS = 5000;
const $ = (id) => document.getElementById(id);

const message = $('message');
function say(text) {
  hint(message, text);
}
function describe(failure) {
  return failure instanceof ApiError ? failure.describe() : String(failure);
}

const names = new Map();
function productName(productId) {
  return names.get(productId) || `product ${productId.slice(0, 8)}…`;
}

const grid = createGrid({
  head: $('grid-head'),
  body: $('grid-body'),
  mayChange: mayChangeStock,
  onAdjust: (cell) => dialog.open(cell),
});
const dialog = createAdjustDialog({
  dialog: $('adjust'),
  onSaved(cell, stock) {
    grid.set(stock.product_id, stock.store_id, stock, true);
    say('');
  },
});
const feed = createFeed({
  list: $('feed'), storeFilter: $('feed-store'), typeFilter: $('feed-type'), productName,
});
const lowStock = createLowStock({ list: $('low'), hintNode: $('low-hint'), grid, productName });
const expiring = createExpiring({ list: $('expiring'), hintNode: $('expiring-hint'), productName });
const chart = createChart($('chart'));

// --- What the grid shows: stores (the vendor's first) and a page of the catalogue.

async function loadStores() {
  const page = await api('/api/v1/stores?limit=500');
  const own = currentSession() && currentSession().store;
  return page.data
    .filter((store) => store.active)
    .sort((a, b) => (b.id === own) - (a.id === own) || a.id.localeCompare(b.id));
}

async function loadProducts() {
  const q = $('search').value.trim();
  const page = await api(withQuery('/api/v1/products', { q, limit: PRODUCTS_SHOWN }));
  for (const product of page.data) names.set(product.id, product.name);
  let status = page.total > page.data.length
    ? `Showing ${page.data.length} of ${page.total} products; search to find others.`
    : `${page.total} products.`;
  if (page.total === 0) {
    status = q
      ? 'No product matches that search.'
      : 'The catalogue is empty: `inventory seed-demo` adds a demo catalogue, or create products through the API.';
  }
  hint($('grid-status'), status);
  return page.data;
}

/** Each shown product's availability in every store (a few requests at a time). */
async function loadSnapshot(products) {
  const queue = [...products];
  async function worker() {
    while (queue.length) {
      const product = queue.shift();
      const availability = await api(`/api/v1/products/${product.id}/availability`);
      for (const store of availability.stores) grid.set(product.id, store.store_id, store, false);
    }
  }
  // Every worker settles before the changes that waited are applied: a late snapshot answer
  // must never land on top of a live change.
  const results = await Promise.allSettled(Array.from({ length: SNAPSHOT_CONCURRENCY }, worker));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

// Changes that arrive while the snapshot loads wait, then apply on top of it in order, so
// the grid ends at the latest state whichever came first.
let loading = false;
let waiting = [];
let reloadAgain = false;
// A vendor's feed starts on its own store (once per sign-in: it may then pick another).
let focusOwnStore = true;

async function reload() {
  if (loading) {
    reloadAgain = true;
    return;
  }
  loading = true;
  waiting = [];
  try {
    const [stores, products] = await Promise.all([loadStores(), loadProducts()]);
    grid.render(stores, products);
    feed.setStores(stores);
    const session = currentSession();
    if (focusOwnStore && session && session.role === 'vendor') feed.showStore(session.store);
    focusOwnStore = false;
    await loadSnapshot(products);
    say('');
  } catch (failure) {
    say(describe(failure));
    // Try again when the stream next says it is live (its next event, or a reconnection),
    // or in a few seconds if it stays quiet.
    needsReload = true;
    setTimeout(() => {
      if (needsReload && connection.dataset.state === 'live') {
        needsReload = false;
        reload();
      }
    }, RETRY_MS);
  } finally {
    loading = false;
    const changes = waiting;
    waiting = [];
    for (const change of changes) grid.set(change.product_id, change.store_id, change, true);
    refreshPanels();
    if (reloadAgain) {
      reloadAgain = false;
      reload();
    }
  }
}

// --- Panels and the event log (staff), refreshed a little after changes, not per event.

// At most one refresh per 300 ms however many changes arrive (a steady flow of changes
// still refreshes them).
let panelTimer = null;
function refreshPanels() {
  if (panelTimer) return;
  panelTimer = setTimeout(() => {
    panelTimer = null;
    lowStock.refresh();
    expiring.refresh();
    readEventLog();
  }, 300);
}

let logAfter = null;
// Bumped by every read of the log and every change of user: an answer that arrives after a
// newer read started, or after sign-out, is dropped (it may carry what the next user must
// not see).
let logReads = 0;
async function readEventLog() {
  const mine = ++logReads;
  if (!isStaff()) {
    hint($('feed-hint'), 'Sign in as store staff to see who made each change.');
    return;
  }
  try {
    if (logAfter === null) {
      // Start near the end of the log: the feed shows recent activity, not all history.
      const first = await api('/api/v1/events?limit=1');
      if (mine !== logReads) return;
      logAfter = Math.max(0, first.last_seq - FEED_HISTORY);
    }
    const page = await api(withQuery('/api/v1/events', { after_seq: logAfter, limit: 200 }));
    if (mine !== logReads) return;
    logAfter = page.next_after_seq;
    feed.addEnvelopes(page.data);
    hint($('feed-hint'), '');
  } catch (failure) {
    if (mine === logReads) hint($('feed-hint'), describe(failure));
  }
}

// --- The live stream.

const connection = $('connection');
const connectionText = $('connection-text');
let needsReload = true;

function showState(state, detail) {
  if (connection.dataset.state === 'live' && (state === 'reconnecting' || state === 'offline')) {
    connection.dataset.drops = String(Number(connection.dataset.drops || 0) + 1);
  }
  connection.dataset.state = state;
  // The text changes with the state only (it is a live region: a screen reader reads each
  // change); the last event applied goes in an attribute.
  if (state === 'live' && detail !== null && detail !== undefined) {
    connection.dataset.seq = String(detail);
    connection.title = `Last event applied: ${detail}`;
  }
  const texts = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Reconnecting…',
    offline: `Offline: retry in ${detail} s`,
  };
  const text = texts[state];
  if (connectionText.textContent !== text) connectionText.textContent = text;
}

const stream = openLiveStream({
  onChange(change) {
    if (loading) waiting.push(change);
    else grid.set(change.product_id, change.store_id, change, true);
    feed.addChange(change);
    chart.add(change);
    refreshPanels();
  },
  onReset() {
    needsReload = true;
    if (connection.dataset.state === 'live') {
      needsReload = false;
      reload();
    }
  },
  onState(state, detail) {
    showState(state, detail);
    if (state === 'live' && needsReload) {
      needsReload = false;
      reload();
    }
  },
});

// --- Signing in and out.

function showSession() {
  const session = currentSession();
  $('sign-in').hidden = Boolean(session);
  $('signed-in').hidden = !session;
  if (session) {
    const store = session.store ? ` · ${session.store}` : '';
    $('who').textContent = `${session.subject} (${session.role}${store})`;
  }
  const hints = {
    admin: '· select a cell to change its stock',
    vendor: '· select a cell of your store to change its stock',
  };
  hint($('grid-hint'), (session && hints[session.role]) || '');
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('token');
  const session = signIn(input.value);
  if (!session) {
    say('That is not a token: paste the whole JWT (three parts separated by dots).');
    return;
  }
  input.value = '';
  if (isStaff()) {
    // Let the server judge the token now, rather than on the first change.
    try {
      await api('/api/v1/events?limit=1');
    } catch (failure) {
      signOut();
      showSession();
      say(describe(failure));
      return;
    }
  }
  say('');
  focusOwnStore = true;
  sessionChanged();
});

$('sign-out').addEventListener('click', () => {
  signOut();
  sessionChanged();
  $('token').focus();
});

/** What one user was shown (actors, other stores' events) is not left for the next. */
function sessionChanged() {
  logReads += 1;
  logAfter = null;
  feed.clear();
  // Now, not after the throttle: a staff answer still in flight is dropped at once.
  lowStock.refresh();
  expiring.refresh();
  showSession();
  reload();
}

let searchTimer = null;
$('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(reload, 250);
});

showSession();
