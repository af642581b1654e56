// app.js: the dashboard's entry point: who the user is (a token when the server asks for
// one), the navigation, and the router from the address bar to a view. Every view has its
// own URL (/ui/…), so that it can be bookmarked; links with data-nav are followed without
// reloading the page.
import { api, clear, el, errorBox, link, state } from './lib.js';
import { overview } from './views/overview.js';
import { definitionTable } from './views/table.js';
import { instanceView } from './views/instance.js';
import { carrierBoard } from './views/carriers.js';
import { runsView } from './views/runs.js';

const main = document.getElementById('main');
let cleanup = null;

function routeOf(pathname) {
  const parts = pathname.replace(/^\/ui\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { view: overview, args: [] };
  if (parts[0] === 'carriers' && parts.length === 1) return { view: carrierBoard, args: [] };
  if (parts[0] === 'runs' && parts.length === 1) return { view: runsView, args: [] };
  if (parts[0] === 'instances' && parts.length === 2) return { view: instanceView, args: [{ id: parts[1] }] };
  if (parts[0] === 'definitions' && parts.length === 2) return { view: definitionTable, args: [parts[1]] };
  if (parts[0] === 'definitions' && parts.length === 3)
    return { view: instanceView, args: [{ definition: parts[1], key: parts[2] }] };
  return null;
}

async function render() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const route = routeOf(location.pathname);
  if (!route) {
    clear(main, el('h1', {}, 'Not found'), el('p', {}, 'No dashboard page at this address. ', link('/ui/', 'Overview')));
    return;
  }
  markCurrent();
  try {
    const done = await route.view(main, ...route.args);
    cleanup = typeof done === 'function' ? done : null;
  } catch (err) {
    clear(main, el('h1', {}, 'Error'), errorBox(err));
  }
}

export function navigate(href) {
  history.pushState(null, '', href);
  render().then(() => main.focus({ preventScroll: true }));
  window.scrollTo(0, 0);
}

function markCurrent() {
  for (const a of document.querySelectorAll('#nav a')) {
    const here = a.getAttribute('href') === location.pathname ||
      (a.getAttribute('href') !== '/ui/' && location.pathname.startsWith(a.getAttribute('href')));
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-nav]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', render);
document.addEventListener('tmfinv:navigate', (e) => navigate(e.detail));

function showWho() {
  const who = document.getElementById('who');
  const role = state.roles.includes('write') ? 'read and write' : 'read only';
  const parts = [el('span', { class: 'principal' }, `${state.principal} · ${role}`)];
  if (state.token) {
    parts.push(el('button', {
      type: 'button', class: 'link', onclick: () => {
        sessionStorage.removeItem('tmfinv.token');
        location.reload();
      },
    }, 'Sign out'));
  }
  clear(who, ...parts);
}

// The sign-in form: the token is kept in sessionStorage (this tab only) and sent as a
// bearer token; the server checks it (/api/v1/whoami answers its roles).
function signIn(message) {
  const input = el('input', { id: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const form = el('form', {
    class: 'signin', onsubmit: async (e) => {
      e.preventDefault();
      state.token = input.value.trim();
      sessionStorage.setItem('tmfinv.token', state.token);
      await start();
    },
  },
  el('h1', {}, 'Sign in'),
  el('p', {}, 'This server needs a bearer token (a line of its [http] tokens_file).'),
  message ? el('p', { class: 'error', role: 'alert' }, message) : null,
  el('label', { for: 'token' }, 'Token'), input,
  el('button', { type: 'submit' }, 'Sign in'));
  clear(main, form);
  input.focus();
}

async function loadDefinitions() {
  state.definitions = (await api('/definitions')).data;
  const nav = document.getElementById('nav');
  for (const old of nav.querySelectorAll('li.def')) old.remove();
  const runs = nav.lastElementChild;
  for (const d of state.definitions) {
    nav.insertBefore(el('li', { class: 'def' }, link(`/ui/definitions/${encodeURIComponent(d.name)}`, d.name)), runs);
  }
}

async function start() {
  try {
    const who = (await api('/whoami')).data;
    state.principal = who.principal;
    state.roles = who.roles;
    if (!state.roles.includes('read')) {
      signIn(state.token ? 'This token was refused.' : '');
      return;
    }
    showWho();
    await loadDefinitions();
    await render();
  } catch (err) {
    clear(main, el('h1', {}, 'Error'), errorBox(err));
  }
}

start();
