// Reservations and stock changes per minute over the last 30 minutes, counted from the live
// stream since the page opened, drawn as SVG by hand (two polylines on a fixed viewBox).
const MINUTES = 30;
const WIDTH = 320;
const HEIGHT = 120;
const PAD = { left: 28, right: 6, top: 8, bottom: 18 };
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function createChart(node) {
  const counts = new Map(); // minute → { reservations, stock }
  let scheduled = false;

  function minuteOf(time) {
    return Math.floor(time / 60000);
  }

  function draw() {
    const now = minuteOf(Date.now());
    const minutes = Array.from({ length: MINUTES }, (_, i) => now - MINUTES + 1 + i);
    const series = minutes.map((m) => counts.get(m) || { reservations: 0, stock: 0 });
    const top = Math.max(4, ...series.map((s) => Math.max(s.reservations, s.stock)));
    const x = (i) => PAD.left + (i * (WIDTH - PAD.left - PAD.right)) / (MINUTES - 1);
    const y = (v) => HEIGHT - PAD.bottom - (v * (HEIGHT - PAD.top - PAD.bottom)) / top;
    const line = (pick) => series.map((s, i) => `${x(i).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(' ');
    const parts = [
      svg('line', { class: 'axis', x1: PAD.left, y1: y(0), x2: WIDTH - PAD.right, y2: y(0) }),
      svg('line', { class: 'grid-line', x1: PAD.left, y1: y(top), x2: WIDTH - PAD.right, y2: y(top) }),
      svg('text', { class: 'tick', x: PAD.left - 4, y: y(top) + 4, 'text-anchor': 'end' }, String(top)),
      svg('text', { class: 'tick', x: PAD.left - 4, y: y(0) + 4, 'text-anchor': 'end' }, '0'),
      svg('text', { class: 'tick', x: PAD.left, y: HEIGHT - 4 }, '−30 min'),
      svg('text', { class: 'tick', x: WIDTH - PAD.right, y: HEIGHT - 4, 'text-anchor': 'end' }, 'now'),
      svg('polyline', { class: 'series stock', points: line((s) => s.stock) }),
      svg('polyline', { class: 'series reservations', points: line((s) => s.reservations) }),
    ];
    node.replaceChildren(...parts);
    // What the chart shows, for tests and for anyone reading the page's source.
    const total = (pick) => series.reduce((sum, s) => sum + pick(s), 0);
    node.setAttribute('data-totals', `${total((s) => s.reservations)},${total((s) => s.stock)}`);
    for (const minute of counts.keys()) if (minute < now - MINUTES) counts.delete(minute);
  }

  draw();
  // The time axis moves on even when nothing happens.
  setInterval(draw, 15000);

  return {
    /** Counts an AvailabilityChange in its minute. */
    add(change) {
      // The server's time, but never ahead of this clock's minute.
      const minute = Math.min(minuteOf(Date.parse(change.occurred_at) || Date.now()), minuteOf(Date.now()));
      const bucket = counts.get(minute) || { reservations: 0, stock: 0 };
      if (change.event_type.startsWith('reservation.')) bucket.reservations += 1;
      else bucket.stock += 1;
      counts.set(minute, bucket);
      if (!scheduled) {
        // One drawing per frame however many events arrive.
        scheduled = true;
        requestAnimationFrame(() => {
          scheduled = false;
          draw();
        });
      }
    },
  };
}
