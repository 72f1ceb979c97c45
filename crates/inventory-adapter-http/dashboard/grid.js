// The live grid: one row per product, one column per store, each cell available · reserved ·
// in store. Numbers use tabular figures in cells of fixed width, so a change never moves
// the layout; a changed cell flashes briefly.
import { element, replaceChildren } from './text.js';

function key(productId, storeId) {
  return `${productId}|${storeId}`;
}

export function createGrid({ head, body, mayChange, onAdjust }) {
  let stores = [];
  let products = [];
  const cells = new Map();

  function render(nextStores, nextProducts) {
    stores = nextStores;
    products = nextProducts;
    const previous = new Map(cells);
    cells.clear();
    replaceChildren(head, [
      element('th', { scope: 'col', text: 'Product' }),
      ...stores.map((store) => element('th', { scope: 'col', title: store.name },
        element('span', { class: 'store-id', text: store.id }),
        element('span', { class: 'store-name', text: store.city || store.name }))),
    ]);
    replaceChildren(body, products.map((product) => element('tr', { 'data-product': product.id },
      element('th', { scope: 'row' },
        element('span', { class: 'product-name', text: product.name }),
        element('span', { class: 'sku', text: product.sku })),
      ...stores.map((store) => cellFor(product, store, previous.get(key(product.id, store.id)))))));
  }

  function cellFor(product, store, previous) {
    const values = element('span', { class: 'values' },
      element('span', { class: 'available' }),
      element('span', { class: 'reserved' }),
      element('span', { class: 'quantity' }));
    const editable = mayChange(store.id);
    const holder = editable
      ? element('button', { type: 'button', class: 'cell' }, values)
      : element('span', { class: 'cell' }, values);
    const td = element('td', { 'data-store': store.id, 'data-product': product.id }, holder);
    const cell = { product, store, td, holder, values: previous ? previous.values : null };
    if (editable) holder.addEventListener('click', () => onAdjust(cell));
    cells.set(key(product.id, store.id), cell);
    show(cell, false);
    return td;
  }

  function show(cell, highlight) {
    const [available, reserved, quantity] = cell.holder.querySelectorAll('.values > span');
    const v = cell.values;
    available.textContent = v ? String(v.available) : '–';
    reserved.textContent = v ? String(v.reserved) : '–';
    quantity.textContent = v ? String(v.quantity) : '–';
    const label = v
      ? `${cell.product.name} in ${cell.store.id}: ${v.available} available, ${v.reserved} reserved, ${v.quantity} in store`
      : `${cell.product.name} in ${cell.store.id}: no stock record`;
    cell.holder.setAttribute('aria-label', cell.holder.tagName === 'BUTTON' ? `Adjust ${label}` : label);
    cell.td.classList.toggle('empty', !v);
    cell.td.classList.toggle('out', Boolean(v) && v.available === 0);
    if (highlight) {
      // When the page showed it (the browser tests measure stream-to-screen with it).
      cell.td.dataset.changedAt = String(Date.now());
      cell.td.classList.remove('changed');
      // Restart the flash: reading layout commits the removal before the class returns.
      void cell.td.offsetWidth;
      cell.td.classList.add('changed');
    }
  }

  return {
    render,
    stores: () => stores,
    products: () => products,
    /** Sets a pair's numbers (from a snapshot, an event or an answer). */
    set(productId, storeId, values, highlight) {
      const cell = cells.get(key(productId, storeId));
      if (!cell) return;
      const same = cell.values
        && cell.values.available === values.available
        && cell.values.reserved === values.reserved
        && cell.values.quantity === values.quantity;
      cell.values = {
        available: values.available, reserved: values.reserved, quantity: values.quantity,
      };
      show(cell, highlight && !same);
    },
    /** The product of an id, among those shown. */
    product: (productId) => products.find((product) => product.id === productId) || null,
    /** Per store, the shown products with the fewest units available. */
    lowest(perStore) {
      return stores.map((store) => ({
        store,
        items: products
          .map((product) => ({ product, values: cells.get(key(product.id, store.id)).values }))
          .filter((item) => item.values)
          .sort((a, b) => a.values.available - b.values.available)
          .slice(0, perStore),
      }));
    },
  };
}
