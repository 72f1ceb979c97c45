// Low stock and reservations expiring soon, per store.
//
// Low stock is what GET /api/v1/stock/low reports against the thresholds staff set; with no
// thresholds set (or before signing in) it falls back to the products shown with the fewest
// units available. Pending reservations carry customer ids, so they are for staff only.
import { api, ApiError, withQuery } from './api.js';
import { element, replaceChildren, hint, countdown } from './text.js';
import { currentSession, isStaff } from './session.js';

const LOWEST_PER_STORE = 2;
const EXPIRING_SHOWN = 10;

function storeOfVendor() {
  const session = currentSession();
  return session && session.role === 'vendor' ? session.store : undefined;
}

function describeError(failure) {
  return failure instanceof ApiError ? failure.describe() : String(failure);
}

export function createLowStock({ list, hintNode, grid, productName }) {
  // Only the latest refresh may paint: an earlier answer arriving late (or after sign-out)
  // is dropped.
  let latest = 0;

  async function refresh() {
    const mine = ++latest;
    let failure = '';
    if (isStaff()) {
      try {
        const page = await api(withQuery('/api/v1/stock/low', { store_id: storeOfVendor(), limit: 50 }));
        if (mine !== latest) return;
        if (page.data.length > 0) {
          hint(hintNode, 'Below the thresholds set for them.');
          replaceChildren(list, page.data.map((low) => element('li', {},
            element('span', { class: 'store-tag', text: low.stock.store_id }),
            element('span', { class: 'subject', text: productName(low.stock.product_id) }),
            element('span', { class: 'numbers', text: `${low.stock.available} available (threshold ${low.threshold})` }))));
          return;
        }
      } catch (error) {
        if (mine !== latest) return;
        failure = describeError(error);
      }
    }
    showLowest();
    if (failure) hint(hintNode, failure);
  }

  function showLowest() {
    if (!isStaff()) hint(hintNode, 'No thresholds to compare with until you sign in: the fewest available among the products shown.');
    else hint(hintNode, 'No product is below a threshold: the fewest available among the products shown.');
    const rows = [];
    for (const { store, items } of grid.lowest(LOWEST_PER_STORE)) {
      for (const { product, values } of items) {
        rows.push(element('li', {},
          element('span', { class: 'store-tag', text: store.id }),
          element('span', { class: 'subject', text: product.name }),
          element('span', { class: 'numbers', text: `${values.available} available` })));
      }
    }
    replaceChildren(list, rows);
  }

  return { refresh, showLowest };
}

export function createExpiring({ list, hintNode, productName }) {
  let reservations = [];
  // Only the latest refresh may paint (see createLowStock).
  let latest = 0;

  async function refresh() {
    const mine = ++latest;
    if (!isStaff()) {
      reservations = [];
      hint(hintNode, 'Sign in as store staff to see pending reservations.');
      render();
      return;
    }
    try {
      const page = await api(withQuery('/api/v1/reservations', {
        status: 'pending', store_id: storeOfVendor(), limit: 500,
      }));
      if (mine !== latest) return;
      reservations = page.data
        .map((reservation) => ({ ...reservation, expiresAt: Date.parse(reservation.expires_at) }))
        .sort((a, b) => a.expiresAt - b.expiresAt)
        .slice(0, EXPIRING_SHOWN);
      hint(hintNode, reservations.length ? '' : 'No pending reservations.');
    } catch (failure) {
      if (mine !== latest) return;
      reservations = [];
      hint(hintNode, describeError(failure));
    }
    render();
  }

  function render() {
    const now = Date.now();
    replaceChildren(list, reservations.map((reservation) => element('li', { 'data-reservation': reservation.reservation_id },
      element('span', { class: 'store-tag', text: reservation.store_id }),
      element('span', { class: 'subject', text: `${reservation.quantity} × ${productName(reservation.product_id)}` }),
      element('span', { class: 'numbers countdown', text: reservation.expiresAt > now ? `in ${countdown((reservation.expiresAt - now) / 1000)}` : 'expiring' }))));
  }

  // The countdowns tick; the list itself is refreshed when reservations change.
  setInterval(render, 1000);
  return { refresh };
}
