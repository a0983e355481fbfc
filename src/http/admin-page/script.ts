/**
 * The status page's script, sent inline (no build step, nothing from elsewhere). It uses only the
 * documented admin API with the token as the bearer header; the token lives in sessionStorage,
 * so it is gone when the tab closes and no cookie ever carries it. Every value from the API is
 * put into the page with textContent, never as HTML.
 */
export const SCRIPT = `
'use strict';
const T = JSON.parse(document.getElementById('texts').textContent);
const KEY = 'newsletter-bridge-admin-token';
const $ = (id) => document.getElementById(id);
const el = (tag, text, attrs) => {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
};
const token = () => sessionStorage.getItem(KEY);

async function api(path, init) {
  const headers = { authorization: 'Bearer ' + token() };
  if (init && init.body) headers['content-type'] = 'application/json';
  const res = await fetch(path, { ...(init || {}), headers });
  if (res.status === 401) { signOut(T.wrongToken); throw new Error('unauthorised'); }
  const body = res.headers.get('content-type') && res.headers.get('content-type').includes('json') ? await res.json() : null;
  if (!res.ok) throw new Error((body && (body.detail || body.title)) || 'HTTP ' + res.status);
  return body;
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message || '';
}

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, $('token').value.trim());
  $('token').value = '';
  await start();
});
$('signout').addEventListener('click', () => signOut(''));
$('refresh').addEventListener('click', () => loadAll());

async function start() {
  if (!token()) return signOut('');
  try {
    await api('/v1/admin/stats');
  } catch (e) {
    if (e.message !== 'unauthorised') $('signin-error').textContent = T.loadError + ': ' + e.message;
    return;
  }
  $('signin').hidden = true;
  $('app').hidden = false;
  await loadAll();
}

async function loadAll() {
  await Promise.all([loadStats(), loadFailed(), loadRuns()]);
  if ($('user').value.trim()) await loadSubscriber($('user').value.trim());
}

function guarded(target, work) {
  return work().catch((e) => { if (e.message !== 'unauthorised') target.replaceChildren(el('p', T.loadError + ': ' + e.message, { class: 'error' })); });
}

function loadStats() {
  return guarded($('counts'), async () => {
    const s = await api('/v1/admin/stats');
    const table = el('table');
    const row = (label, value, id) => { const tr = el('tr'); tr.append(el('th', label), el('td', value, id ? { 'data-count': id } : {})); table.append(tr); };
    for (const k of ['subscribed', 'unsubscribed', 'deleted']) row(T.byState + ': ' + T[k], s.subscriptions.byState[k], 'state-' + k);
    for (const k of ['pending', 'synced', 'failed']) row(T.byTransfer + ': ' + T[k], s.subscriptions.byTransferStatus[k], 'transfer-' + k);
    row(T.oldestPending, s.oldestPendingAgeSeconds === null ? T.none : s.oldestPendingAgeSeconds + ' ' + T.seconds);
    $('counts').replaceChildren(table);
    renderPause(s.transfers.pause);
  });
}

function renderPause(p) {
  $('pause-state').textContent = p.paused ? T.pausedSince + ' ' + p.since + ' — ' + T.reason + ': ' + p.reason : T.running;
  $('pause-state').className = p.paused ? 'paused' : '';
  $('pause-warning').textContent = p.warning || '';
  $('pause-form').hidden = p.paused;
  $('resume').hidden = !p.paused;
}

$('pause-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  await guarded($('pause-state'), async () => {
    renderPause(await api('/v1/admin/transfers/pause', { method: 'PUT', body: JSON.stringify({ reason: $('reason').value }) }));
    $('reason').value = '';
  });
  await loadAll();
});
$('resume').addEventListener('click', async () => {
  await guarded($('pause-state'), async () => renderPause(await api('/v1/admin/transfers/pause', { method: 'DELETE' })));
  await loadAll();
});

async function failedSubscriptions() {
  const all = [];
  let cursor = null;
  do {
    const page = await api('/v1/admin/subscriptions?status=failed&limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && all.length < 2000);
  return all;
}

const retryOne = (s) => api('/v1/admin/subscribers/' + encodeURIComponent(s.userId) + '/subscriptions/' + encodeURIComponent(s.newsletterId) + '/retry', { method: 'POST' });

function loadFailed() {
  return guarded($('failed'), async () => {
    const items = await failedSubscriptions();
    const groups = new Map();
    for (const s of items) {
      const message = (s.transfer.error && s.transfer.error.message) || '—';
      if (!groups.has(message)) groups.set(message, []);
      groups.get(message).push(s);
    }
    if (!groups.size) return $('failed').replaceChildren(el('p', T.noFailed));
    const out = [];
    for (const [message, subs] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
      const box = el('section', null, { class: 'group', 'data-message': message });
      const head = el('div', null, { class: 'group-head' });
      const all = el('button', T.retryAll + ' (' + subs.length + ')', { type: 'button' });
      all.addEventListener('click', async () => {
        all.disabled = true;
        for (const s of subs) await retryOne(s).catch(() => undefined);
        await loadAll();
      });
      head.append(el('q', message, { class: 'message' }), all);
      const list = el('ul');
      for (const s of subs) {
        const li = el('li');
        const who = el('button', s.userId + ' · ' + s.newsletterId, { type: 'button', class: 'link' });
        who.addEventListener('click', () => { $('user').value = s.userId; loadSubscriber(s.userId); });
        const retry = el('button', T.retry, { type: 'button', 'data-retry': s.userId + '|' + s.newsletterId });
        retry.addEventListener('click', async () => {
          retry.disabled = true;
          await retryOne(s).then(() => { retry.textContent = T.retried; }, (e) => { retry.textContent = e.message; });
          await Promise.all([loadStats(), loadSubscriber(s.userId)]);
        });
        li.append(who, retry);
        list.append(li);
      }
      box.append(head, el('p', T.affected + ': ' + subs.length), list);
      out.push(box);
    }
    $('failed').replaceChildren(...out);
  });
}

$('subscriber-form').addEventListener('submit', (e) => { e.preventDefault(); loadSubscriber($('user').value.trim()); });

function loadSubscriber(userId) {
  if (!userId) return Promise.resolve();
  return guarded($('subscriber'), async () => {
    const res = await fetch('/v1/admin/subscribers/' + encodeURIComponent(userId), { headers: { authorization: 'Bearer ' + token() } });
    if (res.status === 404) return $('subscriber').replaceChildren(el('p', T.notFound));
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const view = await res.json();
    const table = el('table', null, { class: 'subscriptions' });
    const head = el('tr');
    for (const h of [T.newsletter, T.state, T.transfer]) head.append(el('th', h));
    table.append(head);
    for (const s of view.subscriptions) {
      const tr = el('tr', null, { 'data-newsletter': s.newsletterId, 'data-transfer': s.transfer.status });
      const label = el('td', s.transfer.label, { class: 'transfer ' + s.transfer.status });
      if (s.transfer.error) label.title = s.transfer.error.message;
      tr.append(el('td', s.newsletterId), el('td', T[s.state] || s.state), label);
      table.append(tr);
    }
    const timeline = el('ol', null, { class: 'timeline' });
    for (const t of view.timeline.slice(0, 50)) timeline.append(el('li', t.at + ' · ' + t.kind + (t.outcome ? ' · ' + t.outcome : '')));
    $('subscriber').replaceChildren(el('h3', view.userId), table, el('h4', T.timeline), timeline);
  });
}

function loadRuns() {
  return guarded($('runs'), async () => {
    const page = await api('/v1/admin/reconciliations?limit=5');
    if (!page.items.length) return $('runs').replaceChildren(el('p', T.noRuns));
    const table = el('table');
    const head = el('tr');
    for (const h of [T.startedAt, T.mode, T.status, T.findings]) head.append(el('th', h));
    table.append(head);
    for (const r of page.items) {
      const tr = el('tr');
      const findings = Object.entries(r.counts).filter(([, n]) => n > 0).map(([k, n]) => k + ' ' + n).join(', ') || T.none;
      tr.append(el('td', r.startedAt), el('td', r.mode), el('td', r.status), el('td', findings));
      table.append(tr);
    }
    $('runs').replaceChildren(table);
  });
}

start();
`;
