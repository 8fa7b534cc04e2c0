// The viewer's entry: routes (`#/w/{ws}/t/{table}/…`) to pages, and the sign-in when the server asks for a token.

import * as api from './api.js';
import { el, errorBox, link, replace } from './dom.js';
import { tablesPage } from './tables.js';
import { tablePage } from './table.js';
import { rowPage } from './row.js';
import { episodePage } from './episode.js';

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
let session = null;

/** The current route: its path segments and query parameters. */
function current() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query] = hash.split('?');
  const segments = path ? path.split('/').map(decodeURIComponent) : [];
  return { segments, params: new URLSearchParams(query || '') };
}

function signInPage(message) {
  const input = el('input', { type: 'password', name: 'token', autocomplete: 'off', placeholder: 'API token', size: 60 });
  const form = el('form', {
    class: 'signin',
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api.signIn(input.value);
        session = null;
        render();
      } catch (err) {
        replace(note, errorBox(err));
      }
    },
  }, el('h1', {}, 'Sign in'), el('p', {}, 'Paste a token of this server (the one clients use as DEEPLAKE_API_KEY).'), input, el('button', { type: 'submit' }, 'Sign in'));
  const note = el('div', {}, message ? errorBox(message) : null);
  replace(main, form, note);
}

function workspacesPage() {
  replace(crumbs);
  replace(main, el('h1', {}, 'Workspaces'),
    el('ul', { class: 'workspaces' }, session.workspaces.map((w) => el('li', {}, link(['w', w], w)))),
    el('button', { onclick: async () => { await api.signOut(); session = null; render(); } }, 'Sign out'));
}

async function render() {
  const { segments, params } = current();
  try {
    if (!session) session = await api.session();
  } catch (err) {
    if (err.status === 401) return signInPage();
    return replace(main, errorBox(err));
  }
  if (segments[0] !== 'w' || !segments[1]) {
    if (session.mode === 'local') {
      location.replace('#/w/local');
      return;
    }
    return workspacesPage();
  }
  const [, w, kind, t, sub, rowid] = segments;
  const trail = [link(['w', w], session.mode === 'local' ? 'tables' : w)];
  if (t) trail.push(' / ', link(['w', w, 't', t], t));
  if (rowid) trail.push(' / ', `row ${rowid}`);
  replace(crumbs, trail);
  const ctx = { ws: w, table: t, rowid, params, main };
  try {
    if (!kind) await tablesPage(ctx);
    else if (kind === 't' && !sub) await tablePage(ctx);
    else if (kind === 't' && sub === 'r') await rowPage(ctx);
    else if (kind === 't' && sub === 'e') await episodePage(ctx);
    else replace(main, errorBox('no such page'));
  } catch (err) {
    if (err.status === 401) {
      session = null;
      return signInPage(err);
    }
    replace(main, errorBox(err));
  }
}

window.addEventListener('hashchange', render);
render();
