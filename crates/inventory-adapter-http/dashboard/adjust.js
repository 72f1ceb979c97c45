// The stock change dialog: a delta with a reason (POST /api/v1/stock) or a physical count
// (PUT /api/v1/stock/{product}/{store}, compared against the version the dialog read).
// The API's refusal is shown as it is, in the dialog.
import { api, ApiError, idempotencyKey } from './api.js';

export function createAdjustDialog({ dialog, onSaved }) {
  const form = dialog.querySelector('form');
  const title = dialog.querySelector('#adjust-title');
  const current = dialog.querySelector('#adjust-current');
  const amount = dialog.querySelector('#adjust-amount');
  const amountLabel = dialog.querySelector('#adjust-amount-label');
  const reason = dialog.querySelector('#adjust-reason');
  const error = dialog.querySelector('#adjust-error');
  const submit = dialog.querySelector('#adjust-submit');
  let cell = null;
  let version = null;

  function mode() {
    return form.elements.mode.value;
  }

  function showMode() {
    const counting = mode() === 'count';
    amountLabel.textContent = counting ? 'Units counted' : 'Units (negative to remove)';
    amount.min = counting ? '0' : '';
    reason.disabled = counting;
  }

  function showError(text) {
    error.textContent = text || '';
    error.hidden = !text;
  }

  async function readVersion() {
    try {
      const stock = await api(`/api/v1/stock/${cell.product.id}/${encodeURIComponent(cell.store.id)}`);
      version = stock.version;
      current.textContent = `${stock.available} available · ${stock.reserved} reserved · ${stock.quantity} in store (version ${stock.version})`;
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'STOCK_NOT_FOUND') {
        version = 0;
        current.textContent = 'No stock record yet.';
      } else {
        version = null;
        showError(failure instanceof ApiError ? failure.describe() : String(failure));
      }
    }
  }

  async function save() {
    const units = Number(amount.value);
    if (!Number.isInteger(units)) {
      showError('Enter a whole number of units.');
      return;
    }
    submit.disabled = true;
    showError('');
    try {
      const path = `/api/v1/stock/${cell.product.id}/${encodeURIComponent(cell.store.id)}`;
      const stock = mode() === 'count'
        ? await api(path, {
          method: 'PUT',
          body: { quantity: units, expected_version: version ?? 0 },
        })
        : await api('/api/v1/stock', {
          method: 'POST',
          headers: { 'Idempotency-Key': idempotencyKey() },
          body: {
            product_id: cell.product.id,
            store_id: cell.store.id,
            quantity_change: units,
            reason: reason.value,
          },
        });
      dialog.close();
      onSaved(cell, stock);
    } catch (failure) {
      showError(failure instanceof ApiError ? failure.describe() : String(failure));
    } finally {
      submit.disabled = false;
    }
  }

  form.addEventListener('change', showMode);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });
  dialog.querySelector('#adjust-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    if (cell) cell.holder.focus();
  });

  return {
    open(target) {
      cell = target;
      version = null;
      form.reset();
      showMode();
      showError('');
      title.textContent = `${target.product.name} · ${target.store.id}`;
      current.textContent = 'Reading the current stock…';
      dialog.showModal();
      amount.focus();
      readVersion();
    },
  };
}
