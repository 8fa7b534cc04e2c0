// One row: its media (images with their masks, video segments played in the page, PDF pages beside their
// text), text, JSON pretty-printed, and every other value, each as text.

import * as api from './api.js';
import { el, link, replace, route } from './dom.js';
import { overlaid } from './overlay.js';

const parse = (v) => { try { return JSON.parse(v); } catch { return null; } };

export async function rowPage({ ws, table, rowid, main }) {
  const row = await api.get(`${api.table(ws, table)}/rows/${encodeURIComponent(rowid)}`);
  const types = new Map(row.columns.map((c) => [c.name, c.type]));
  const url = (c) => api.cellUrl(ws, table, rowid, c);
  const media = [];
  const texts = [];
  const values = [];
  const maskColumn = row.columns.find((c) => c.type === 'SEGMENT_MASK' && row.cells[c.name]);
  const hasVectors = row.columns.some((c) => c.type.startsWith('EMBEDDING'));
  for (const c of row.columns) {
    const v = row.cells[c.name];
    if (v && typeof v === 'object' && !Array.isArray(v) && 'bytes' in v) {
      if (maskColumn && c.name === maskColumn.name) continue;
      media.push(mediaOf(c, v, url(c.name), maskColumn && v.mime.startsWith('image/') && c.type === 'IMAGE' ? url(maskColumn.name) : null, row.cells));
    } else if (c.type === 'JSON' && typeof v === 'string') {
      const parsed = parse(v);
      values.push(el('div', { class: 'json', dataset: { column: c.name } }, el('h3', {}, c.name),
        el('pre', {}, parsed === null ? v : JSON.stringify(parsed, null, 2))));
    } else if (c.type === 'TEXT' && typeof v === 'string' && (v.length > 120 || v.includes('\n'))) {
      texts.push(el('div', { class: 'text', dataset: { column: c.name } }, el('h3', {}, c.name), el('pre', {}, v)));
    } else {
      values.push(el('div', { class: 'value', dataset: { column: c.name } }, el('span', { class: 'k' }, c.name, el('small', {}, ' ' + types.get(c.name))),
        el('span', { class: 'v' }, v === null ? '∅' : typeof v === 'string' ? v : JSON.stringify(v))));
    }
  }
  replace(main,
    el('div', { class: 'toolbar' }, el('h1', {}, `${table} · row ${rowid}`),
      hasVectors ? el('a', { class: 'button', href: route(['w', ws, 't', table], { like: rowid }) }, 'More like this') : null,
      row.episode ? link(['w', ws, 't', table, 'e', rowid], 'Episode ▶', { class: 'button' }) : null),
    el('div', { class: 'row-view' }, el('div', { class: 'media' }, media), texts.length ? el('div', { class: 'texts' }, texts) : null),
    el('div', { class: 'values' }, values));
}

function mediaOf(column, v, src, maskUrl, cells) {
  const caption = el('figcaption', {}, `${column.name} · ${column.type} · ${v.mime} · ${v.bytes.toLocaleString('en')} bytes`);
  const wrap = (node) => el('figure', { dataset: { column: column.name } }, node, caption);
  if (v.mime.startsWith('image/')) {
    if (maskUrl) {
      const f = overlaid(src, maskUrl, cells);
      f.dataset.column = column.name;
      f.append(caption);
      return f;
    }
    return wrap(el('img', { src, alt: '' }));
  }
  if (v.mime.startsWith('video/')) return wrap(el('video', { src, controls: true, preload: 'metadata', muted: true }));
  return wrap(el('a', { href: src, download: '' }, 'download'));
}
