// The tables of a workspace: rows, each column's logical type, indexes.

import * as api from './api.js';
import { el, link, replace } from './dom.js';

export async function tablesPage({ ws, main }) {
  const { tables } = await api.get(`${api.ws(ws)}/tables`);
  const rows = tables.map((t) => {
    const indexed = new Map(t.indexes.map((i) => [i.column, i.kind]));
    return el('tr', { dataset: { table: t.name } },
      el('td', {}, link(['w', ws, 't', t.name], t.name, { class: 'table-link' })),
      el('td', { class: 'num' }, t.rows.toLocaleString('en')),
      el('td', {}, t.columns.map((c) => el('span', { class: 'chip', title: c.type },
        c.name, el('small', {}, ' ' + c.type), indexed.has(c.name) ? el('b', { class: 'idx' }, ` ${indexed.get(c.name)}`) : null))));
  });
  replace(main,
    el('h1', {}, 'Tables'),
    tables.length ? el('table', { class: 'tables' },
      el('thead', {}, el('tr', {}, el('th', {}, 'table'), el('th', {}, 'rows'), el('th', {}, 'columns'))),
      el('tbody', {}, rows)) : el('p', {}, 'This store has no tables yet: ingest something with lakefeed run or lakefeed ingest.'));
}
