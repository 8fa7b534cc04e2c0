// One table: a thumbnail grid (tables with an IMAGE column) or rows, paged with infinite scroll; a WHERE box;
// facet counts; BM25 search, "more like this" and their hybrid.

import * as api from './api.js';
import { el, errorBox, link, replace, route, short } from './dom.js';

const PAGE = 60;
const THUMB = 128;
let generation = 0;

/** A SQL string literal. */
const literal = (v) => `'${String(v).replace(/'/g, "''")}'`;
/** A SQL identifier. */
const ident = (n) => `"${String(n).replace(/"/g, '""')}"`;

export async function tablePage({ ws, table, params, main }) {
  const gen = ++generation;
  const { tables } = await api.get(`${api.ws(ws)}/tables`);
  const info = tables.find((t) => t.name === table);
  if (!info) throw new Error(`Table '${table}' does not exist`);
  const where = params.get('where') || '';
  const q = params.get('q') || '';
  const like = params.get('like') || '';
  const go = (p) => { location.hash = route(['w', ws, 't', table], { where, q, like, ...p }); };
  const types = new Map(info.columns.map((c) => [c.name, c]));
  const fts = info.indexes.filter((i) => i.kind === 'fts').map((i) => i.column);
  const vectors = info.columns.filter((c) => c.type.startsWith('EMBEDDING')).map((c) => c.name);

  const whereInput = el('input', { name: 'where', value: where, placeholder: "WHERE … e.g. num_objects > 3 AND filename LIKE '%cat%'", size: 70, spellcheck: false });
  const whereForm = el('form', { class: 'where', onsubmit: (e) => { e.preventDefault(); go({ where: whereInput.value.trim() }); } },
    el('label', {}, 'WHERE ', whereInput), el('button', { type: 'submit' }, 'Filter'),
    where ? el('button', { type: 'button', onclick: () => go({ where: '' }) }, 'Clear') : null);
  const searchInput = el('input', { name: 'q', value: q, placeholder: fts.length ? `search ${fts.join(', ')} (BM25)` : 'no full-text index', size: 40, disabled: !fts.length });
  const searchForm = (fts.length || vectors.length) ? el('form', { class: 'search', onsubmit: (e) => { e.preventDefault(); go({ q: searchInput.value.trim() }); } },
    fts.length ? [searchInput, el('button', { type: 'submit' }, 'Search')] : null,
    like ? el('span', { class: 'chip like' }, `like row ${like}`, el('button', { type: 'button', title: 'stop', onclick: () => go({ like: '' }) }, '×')) : null,
    (q || like) ? el('button', { type: 'button', onclick: () => go({ q: '', like: '' }) }, 'Clear search') : null) : null;
  const countNode = el('span', { class: 'count' });
  const errorNode = el('div', { class: 'errors' });
  const facetsNode = el('aside', { class: 'facets' });
  const body = el('section', { class: 'results' });
  const sqlNode = el('div', { class: 'sql' });
  replace(main,
    el('div', { class: 'toolbar' }, el('h1', {}, table, ' ', countNode), whereForm, searchForm),
    errorNode,
    el('div', { class: 'layout' }, facetsNode, el('div', {}, sqlNode, body)));

  const render = renderer(ws, table, info, types, body);
  // Facets come on their own, so rows are not held up by them.
  api.get(`${api.table(ws, table)}/facets`, { where }).then((f) => {
    if (gen === generation) replace(facetsNode, facets(f.facets, (col, value) => {
      const cond = value === null ? `${ident(col)} IS NULL` : `${ident(col)} = ${typeof value === 'number' ? value : literal(value)}`;
      go({ where: where ? `(${where}) AND ${cond}` : cond });
    }));
  }).catch((err) => { if (gen === generation) replace(facetsNode, errorBox(err)); });

  if (q || like) {
    try {
      const r = await api.get(`${api.table(ws, table)}/search`, { text: q, like, where, limit: 60, thumbs: info.image_column ? THUMB : undefined });
      if (gen !== generation) return;
      replace(countNode, `${r.rows.length} best`);
      replace(sqlNode, el('details', {}, el('summary', {}, 'SQL'), el('code', {}, r.sql)));
      render(r.rows, true);
      performance.mark('lakefeed:first-page');
    } catch (err) {
      replace(errorNode, errorBox(err));
    }
    return;
  }

  let offset = 0;
  let done = false;
  let loading = false;
  const sentinel = el('div', { class: 'sentinel' });
  const loadMore = async () => {
    if (loading || done || gen !== generation) return;
    loading = true;
    const started = performance.now();
    try {
      const page = await api.get(`${api.table(ws, table)}/rows`, { offset, limit: PAGE, where, thumbs: info.image_column ? THUMB : undefined });
      if (gen !== generation) return;
      render(page.rows, false);
      if (offset === 0) performance.mark('lakefeed:first-page');
      performance.measure('lakefeed:page', { start: started, end: performance.now(), detail: { offset } });
      offset += page.rows.length;
      if (page.total !== null && page.total !== undefined) replace(countNode, `${page.total.toLocaleString('en')} rows`);
      if (page.rows.length < PAGE) {
        done = true;
        sentinel.remove();
      }
      body.dataset.loaded = String(offset);
    } catch (err) {
      done = true;
      replace(errorNode, errorBox(err));
    } finally {
      loading = false;
    }
    // Still on screen (a tall window): fill it.
    if (!done && sentinel.isConnected && sentinel.getBoundingClientRect().top < innerHeight + 800) loadMore();
  };
  body.after(sentinel);
  if (where) {
    api.get(`${api.table(ws, table)}/count`, { where })
      .then((c) => { if (gen === generation) replace(countNode, `${c.count.toLocaleString('en')} rows match`); })
      .catch(() => {});
  }
  new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadMore(); }, { rootMargin: '800px' }).observe(sentinel);
  await loadMore();
}

/** Renders pages of rows into `body`: a grid of thumbnails, or a table. */
function renderer(ws, table, info, types, body) {
  const grid = Boolean(info.image_column);
  const shown = info.columns.filter((c) => !isBlob(c.type) && !c.type.startsWith('EMBEDDING')).map((c) => c.name);
  const caption = ['filename', 'id', 'file_name', 'task', 'text'].find((c) => types.has(c)) || shown[0];
  let tbody = null;
  return (rows, scored) => {
    if (grid) {
      if (!body.firstChild) body.append(el('div', { class: 'grid' }));
      body.firstChild.append(...rows.map((r) => el('a', { class: 'card', href: route(['w', ws, 't', table, 'r', r._rowid]), dataset: { rowid: r._rowid } },
        r.thumb ? el('img', { src: r.thumb, alt: '', loading: 'lazy', decoding: 'async' }) : el('div', { class: 'nothumb' }, 'no image'),
        el('span', { class: 'caption' }, short(r.cells[caption], 60)),
        scored ? el('span', { class: 'score' }, r.score.toFixed(3)) : null)));
      return;
    }
    if (!tbody) {
      tbody = el('tbody');
      body.append(el('table', { class: 'rows' },
        el('thead', {}, el('tr', {}, el('th', {}, ''), scored ? el('th', {}, 'score') : null, shown.map((c) => el('th', { title: types.get(c).type }, c)))),
        tbody));
    }
    tbody.append(...rows.map((r) => el('tr', { dataset: { rowid: r._rowid } },
      el('td', {}, link(['w', ws, 't', table, 'r', r._rowid], 'open'),
        info.episodes ? [' ', link(['w', ws, 't', table, 'e', r._rowid], 'episode ▶', { class: 'episode-link' })] : null),
      scored ? el('td', { class: 'num' }, r.score.toFixed(4)) : null,
      shown.map((c) => el('td', { class: typeof r.cells[c] === 'number' ? 'num' : '' }, display(r.cells[c], types.get(c)))))));
  };
}

export const isBlob = (t) => ['IMAGE', 'VIDEO', 'SEGMENT_MASK', 'BINARY_MASK', 'BINARY', 'POLYGON', 'MESH', 'MEDICAL'].includes(t);

/** A value as text by its column's type. */
export function display(v, column) {
  if (v !== null && column && column.type === 'CLASS_LABEL' && Array.isArray(column.class_names)) {
    return `${column.class_names[v] ?? v} (${v})`;
  }
  return short(v);
}

function facets(list, pick) {
  if (!list.length) return el('p', { class: 'muted' }, 'no label-like columns');
  return list.map((f) => el('div', { class: 'facet', dataset: { column: f.column } },
    el('h3', {}, f.column),
    el('ul', {}, f.values.map((v) => el('li', {},
      el('button', { type: 'button', onclick: () => pick(f.column, v.value) },
        el('span', {}, v.value === null ? '∅' : (Array.isArray(f.class_names) ? f.class_names[v.value] ?? v.value : v.value)),
        el('span', { class: 'n' }, v.count.toLocaleString('en'))))))));
}
