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
const SNAPSHOT_CONCURRENCY = 6;
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
  await Promise.all(Array.from({ length: SNAPSHOT_CONCURRENCY }, worker));
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

let panelTimer = null;
function refreshPanels() {
  clearTimeout(panelTimer);
  panelTimer = setTimeout(() => {
    lowStock.refresh();
    expiring.refresh();
    readEventLog();
  }, 300);
}

let logAfter = null;
async function readEventLog() {
  if (!isStaff()) {
    hint($('feed-hint'), 'Sign in as store staff to see who made each change.');
    return;
  }
  try {
    if (logAfter === null) {
      // Start with the latest page: the feed shows recent activity, not all history.
      const live = stream.lastSeq();
      logAfter = live === null ? 0 : Math.max(0, live - 50);
    }
    const page = await api(withQuery('/api/v1/events', { after_seq: logAfter, limit: 200 }));
    logAfter = page.next_after_seq;
    feed.addEnvelopes(page.data);
    hint($('feed-hint'), '');
  } catch (failure) {
    hint($('feed-hint'), describe(failure));
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
  const texts = {
    connecting: 'Connecting…',
    live: detail === null || detail === undefined ? 'Live' : `Live · event ${detail}`,
    reconnecting: 'Connection lost: reconnecting…',
    offline: `Offline: retrying in ${detail} s`,
  };
  connectionText.textContent = texts[state];
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
  logAfter = null;
  focusOwnStore = true;
  showSession();
  reload();
});

$('sign-out').addEventListener('click', () => {
  signOut();
  logAfter = null;
  showSession();
  reload();
  $('token').focus();
});

let searchTimer = null;
$('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(reload, 250);
});

showSession();
