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
  // Each opening is one errand: answers for an earlier one are ignored.
  let errand = 0;
  let saving = false;
  // One key per change being made: a Save retried after a lost answer cannot apply twice;
  // a different change (amount, mode, reason) gets a new key.
  let key = idempotencyKey();

  function mode() {
    return form.elements.mode.value;
  }

  function showMode() {
    const counting = mode() === 'count';
    amountLabel.textContent = counting ? 'Units counted' : 'Units (negative to remove)';
    amount.min = counting ? '0' : '';
    reason.disabled = counting;
    // A count is compared against the version read: not before it is known.
    submit.disabled = saving || (counting && version === null);
  }

  function showError(text) {
    error.textContent = text || '';
    error.hidden = !text;
  }

  async function readVersion(mine) {
    const target = cell;
    try {
      const stock = await api(`/api/v1/stock/${target.product.id}/${encodeURIComponent(target.store.id)}`);
      if (mine !== errand) return;
      version = stock.version;
      current.textContent = `${stock.available} available · ${stock.reserved} reserved · ${stock.quantity} in store (version ${stock.version})`;
    } catch (failure) {
      if (mine !== errand) return;
      if (failure instanceof ApiError && failure.code === 'STOCK_NOT_FOUND') {
        version = 0;
        current.textContent = 'No stock record yet (version 0).';
      } else {
        version = null;
        current.textContent = '';
        showError(failure instanceof ApiError ? failure.describe() : String(failure));
      }
    }
    showMode();
  }

  async function save() {
    const units = Number(amount.value);
    if (amount.value.trim() === '' || !Number.isInteger(units)) {
      showError('Enter a whole number of units.');
      return;
    }
    const mine = errand;
    const target = cell;
    saving = true;
    showMode();
    showError('');
    try {
      const path = `/api/v1/stock/${target.product.id}/${encodeURIComponent(target.store.id)}`;
      const stock = mode() === 'count'
        ? await api(path, {
          method: 'PUT',
          body: { quantity: units, expected_version: version },
        })
        : await api('/api/v1/stock', {
          method: 'POST',
          headers: { 'Idempotency-Key': key },
          body: {
            product_id: target.product.id,
            store_id: target.store.id,
            quantity_change: units,
            reason: reason.value,
          },
        });
      key = idempotencyKey();
      onSaved(target, stock);
      if (mine === errand) dialog.close();
    } catch (failure) {
      if (mine === errand) showError(failure instanceof ApiError ? failure.describe() : String(failure));
    } finally {
      saving = false;
      showMode();
    }
  }

  form.addEventListener('change', () => {
    key = idempotencyKey();
    showMode();
  });
  amount.addEventListener('input', () => {
    key = idempotencyKey();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!saving) save();
  });
  dialog.querySelector('#adjust-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    errand += 1;
    if (!cell) return;
    // The grid may have been drawn again while the dialog was open: focus today's cell.
    const selector = `td[data-product="${cell.product.id}"][data-store="${cell.store.id}"] .cell`;
    const holder = document.querySelector(selector);
    if (holder) holder.focus();
  });

  return {
    open(target) {
      errand += 1;
      cell = target;
      version = null;
      key = idempotencyKey();
      form.reset();
      showMode();
      showError('');
      title.textContent = `${target.product.name} · ${target.store.id}`;
      current.textContent = 'Reading the current stock…';
      dialog.showModal();
      amount.focus();
      readVersion(errand);
    },
  };
}
