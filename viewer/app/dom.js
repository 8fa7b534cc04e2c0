// Building the page without markup: every string from data becomes a text node or a property, never HTML.

/** An element with properties (`class`, `href`, `on…` handlers, `dataset`…) and children (nodes or text). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'style') Object.assign(node.style, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

/** Appends children: nodes as they are, anything else as text. */
export function append(node, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Empties a node and fills it with children. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** A link to a route of the page (`#/…`), its path segments encoded. */
export function link(segments, label, props = {}) {
  return el('a', { href: route(segments), ...props }, label);
}

/** The hash of a route from its segments, and optional query parameters. */
export function route(segments, params) {
  const path = '#/' + segments.map(encodeURIComponent).join('/');
  const q = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString() : '';
  return q ? `${path}?${q}` : path;
}

/** A cell value as short text for a table. */
export function short(v, max = 160) {
  if (v === null || v === undefined) return '∅';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? s.slice(0, max) + '…' : s;
}

/** A message box for an error, its text as text. */
export function errorBox(err) {
  return el('div', { class: 'error', role: 'alert' }, err && err.message ? err.message : String(err));
}

/** A stable colour for an integer id. */
export function colour(id, alpha = 1) {
  const h = (Math.imul(id + 1, 2654435761) >>> 0) % 360;
  return `hsla(${h}, 80%, 55%, ${alpha})`;
}
