// The live stream (GET /api/v1/stream, Server-Sent Events) and its connection state.
//
// While the connection drops and comes back, the browser reconnects by itself and sends
// Last-Event-ID (the server's opening names where the stream starts, so that holds before
// the first event too): the server replays what was missed. When the browser gives up (the
// server refused the stream, say TOO_MANY_STREAMS), this reopens it after a pause, from the
// last event applied; with none applied, it asks the page to reload what it shows.

const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 15000;

/**
 * Opens the stream. `onChange(change)` gets each AvailabilityChange once, in order;
 * `onReset()` says the page must reload what it shows (the stream could not replay all it
 * missed); `onState(state, detail)` follows the connection: connecting, live, reconnecting,
 * offline.
 */
export function openLiveStream({ onChange, onReset, onState }) {
  let lastSeq = null;
  let source = null;
  let pause = FIRST_PAUSE_MS;
  let timer = null;

  function connect() {
    timer = null;
    const url = lastSeq === null ? '/api/v1/stream' : `/api/v1/stream?after_seq=${lastSeq}`;
    source = new EventSource(url);
    onState('connecting');
    source.addEventListener('open', () => {
      pause = FIRST_PAUSE_MS;
      onState('live', lastSeq);
    });
    source.addEventListener('availability', (message) => {
      let change;
      try {
        change = JSON.parse(message.data);
      } catch {
        return;
      }
      // A replay after a reconnection may overlap what was already applied.
      if (lastSeq !== null && change.seq <= lastSeq) return;
      lastSeq = change.seq;
      onChange(change);
      onState('live', lastSeq);
    });
    source.addEventListener('reset', () => {
      lastSeq = null;
      onReset();
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CONNECTING) {
        onState('reconnecting', lastSeq);
        return;
      }
      // Closed for good: the browser will not retry, so this does.
      source.close();
      if (lastSeq === null) onReset();
      onState('offline', Math.round(pause / 1000));
      timer = setTimeout(connect, pause);
      pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
    });
  }

  connect();
  return {
    /** The last event applied (null before the first). */
    lastSeq: () => lastSeq,
    close() {
      if (timer) clearTimeout(timer);
      if (source) source.close();
    },
  };
}
