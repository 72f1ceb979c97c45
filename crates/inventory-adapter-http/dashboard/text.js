// Small DOM helpers. Every value from the API is written as text (textContent), never as
// markup: a product name can never become script.

/** An element with attributes and children (strings become text nodes). */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else if (name === 'hidden' || name === 'disabled') node[name] = true;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Replaces an element's children. */
export function replaceChildren(node, children) {
  node.replaceChildren(...children);
}

/** Shows a message in a hint paragraph, or hides it when empty. */
export function hint(node, text) {
  node.textContent = text || '';
  node.hidden = !text;
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** 14:03:27 in the viewer's time zone. */
export function clock(isoTime) {
  const date = new Date(isoTime);
  return Number.isNaN(date.getTime()) ? '' : timeFormat.format(date);
}

/** "4:05" for a number of seconds (never negative). */
export function countdown(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`;
}
