// The activity feed: the latest events, newest first, filterable by store and event type.
// Stock moves come from the live stream as they happen; for staff the event log
// (GET /api/v1/events) adds who acted and the events that move no stock.
import { element, replaceChildren, clock } from './text.js';

const KEEP = 200;
const SHOW = 60;

/** Who acted, from an event log envelope's payload. */
export function actorOf(envelope) {
  const payload = envelope.payload || {};
  const change = payload.change || {};
  if (change.user_id) {
    return change.on_behalf_of ? `${change.user_id} for ${change.on_behalf_of}` : change.user_id;
  }
  if (envelope.event_type === 'reservation.expired' || envelope.event_type === 'cart.expired') {
    return 'expiry';
  }
  const holder = payload.reservation || payload.cart;
  if (holder && holder.customer_id) return `customer ${holder.customer_id}`;
  return envelope.request_id ? `request ${envelope.request_id}` : '';
}

export function createFeed({ list, storeFilter, typeFilter, productName }) {
  const entries = new Map();
  const types = new Set();
  let scheduled = false;

  /** One rendering per frame however many events arrive. */
  function renderSoon() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      render();
    });
  }

  function upsert(seq, fields) {
    const entry = entries.get(seq) || { seq };
    Object.assign(entry, fields);
    entries.set(seq, entry);
    if (entry.type && !types.has(entry.type)) {
      types.add(entry.type);
      refreshTypes();
    }
    if (entries.size > KEEP) {
      const oldest = Math.min(...entries.keys());
      entries.delete(oldest);
    }
  }

  function refreshTypes() {
    const chosen = typeFilter.value;
    replaceChildren(typeFilter, [
      element('option', { value: '', text: 'All' }),
      ...[...types].sort().map((type) => element('option', { value: type, text: type })),
    ]);
    typeFilter.value = chosen;
  }

  function describe(entry) {
    if (entry.quantity === undefined) return entry.summary || '';
    return `${entry.available} available · ${entry.reserved} reserved · ${entry.quantity} in store`;
  }

  function render() {
    const store = storeFilter.value;
    const type = typeFilter.value;
    const shown = [...entries.values()]
      .filter((entry) => (!store || entry.store === store) && (!type || entry.type === type))
      .sort((a, b) => b.seq - a.seq)
      .slice(0, SHOW);
    replaceChildren(list, shown.map((entry) => element('li', { 'data-seq': String(entry.seq), 'data-type': entry.type },
      element('time', { datetime: entry.at, text: clock(entry.at) }),
      element('span', { class: 'event-type', text: entry.type }),
      entry.store ? element('span', { class: 'store-tag', text: entry.store }) : null,
      element('span', { class: 'subject', text: entry.product ? productName(entry.product) : (entry.subject || '') }),
      element('span', { class: 'numbers', text: describe(entry) }),
      entry.actor ? element('span', { class: 'actor', text: `by ${entry.actor}` }) : null)));
  }

  storeFilter.addEventListener('change', render);
  typeFilter.addEventListener('change', render);

  return {
    render,
    /** The stores to filter by. */
    setStores(stores) {
      const chosen = storeFilter.value;
      replaceChildren(storeFilter, [
        element('option', { value: '', text: 'All' }),
        ...stores.map((store) => element('option', { value: store.id, text: store.id })),
      ]);
      storeFilter.value = chosen;
    },
    /** Forgets every entry (the user changed). */
    clear() {
      entries.clear();
      render();
    },
    /** Filters the feed to one store. */
    showStore(storeId) {
      storeFilter.value = storeId;
      render();
    },
    /** An AvailabilityChange from the live stream. */
    addChange(change) {
      upsert(change.seq, {
        type: change.event_type,
        store: change.store_id,
        product: change.product_id,
        at: change.occurred_at,
        available: change.available,
        reserved: change.reserved,
        quantity: change.quantity,
      });
      renderSoon();
    },
    /** Events from the log (staff): adds who acted, and events that move no stock. */
    addEnvelopes(envelopes) {
      for (const envelope of envelopes) {
        const payload = envelope.payload || {};
        // Stock moves carry the pair's numbers after the change.
        const numbers = payload.stock
          ? { available: payload.stock.available, reserved: payload.stock.reserved, quantity: payload.stock.quantity }
          : {};
        upsert(envelope.seq, {
          ...numbers,
          type: envelope.event_type,
          store: envelope.store_id || undefined,
          product: envelope.product_id || undefined,
          subject: (payload.product && payload.product.name) || envelope.aggregate_id,
          at: envelope.occurred_at,
          actor: actorOf(envelope),
        });
      }
      renderSoon();
    },
  };
}
