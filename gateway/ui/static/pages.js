// The dashboard's pages, one custom element each. A page owns an AbortController: leaving the page stops its
// polling and closes its log stream.
import { followNdjson, getJson, invoke, poll, sendJson } from './api.js';

const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ms = (seconds) => (seconds === undefined ? '–' : seconds < 1 ? `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms` : `${seconds.toFixed(2)} s`);
const pct = (rate) => `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');

/** Calls made from this browser tab, newest first, so the Calls page can follow them. */
const CALLS_KEY = 'kfaas.calls';
function recentCalls() {
  try {
    return JSON.parse(sessionStorage.getItem(CALLS_KEY) || '[]');
  } catch {
    return [];
  }
}
function rememberCall(call) {
  sessionStorage.setItem(CALLS_KEY, JSON.stringify([call, ...recentCalls()].slice(0, 50)));
}

class Page extends HTMLElement {
  connectedCallback() {
    this.abort = new AbortController();
    this.render();
  }

  disconnectedCallback() {
    this.abort.abort();
  }

  /** Shows or clears the page's error line. */
  showError(err) {
    const line = this.querySelector('.error');
    if (line) line.textContent = err ? `Could not refresh: ${err.message}` : '';
  }
}

/** Functions: every function with replicas and the gateway's own figures, refreshed every 2 s; a deploy form. */
class KfFunctions extends Page {
  render() {
    this.innerHTML = `
      <h1>Functions</h1>
      <p class="error" role="alert"></p>
      <div class="scroll"><table>
        <thead><tr><th>Function</th><th>Replicas</th><th>Invocations</th><th>Error rate</th><th>p50</th><th>p99</th><th>In flight</th><th>Async accepted</th><th title="Async calls queued, running or waiting for a retry">Backlog</th></tr></thead>
        <tbody></tbody>
      </table></div>
      <details class="card">
        <summary>Deploy a function</summary>
        <form class="deploy">
          <label>Name <input name="service" required pattern="[a-z0-9]([-a-z0-9]*[a-z0-9])?" placeholder="hello"></label>
          <label>Image <input name="image" required placeholder="local/hello"></label>
          <label>Process <input name="envProcess" placeholder="cat"></label>
          <button type="submit">Deploy</button>
          <output></output>
        </form>
      </details>`;
    this.querySelector('form.deploy').addEventListener('submit', (e) => this.deploy(e));
    poll(2000, this.abort.signal, () => this.refresh(), (err) => this.showError(err));
  }

  async refresh() {
    const [functions, stats] = await Promise.all([getJson('/system/functions', this.abort.signal), getJson('/ui/api/stats', this.abort.signal)]);
    const byFn = new Map(stats.functions.map((s) => [s.fn, s]));
    // The async backlog (queued + running + waiting for a retry), from the call status store when there is one.
    const backlog = new Map((stats.backlog?.functions ?? []).map((b) => [`${b.function}.${b.namespace}`, b]));
    const backlogOf = (key) => {
      const b = backlog.get(key);
      if (!stats.backlog) return '–';
      const total = b ? b.queued + b.running + b.retrying : 0;
      return b ? `<span title="${b.queued} queued, ${b.running} running, ${b.retrying} retrying">${total}</span>` : '0';
    };
    const rows = functions
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))
      .map((f) => {
        const s = byFn.get(`${f.name}.${f.namespace}`) || { invocations: 0, errorRate: 0, inflight: 0, asyncAccepted: 0 };
        return `<tr data-fn="${esc(f.name)}">
          <td><a href="#/function/${encodeURIComponent(f.name)}">${esc(f.name)}</a><small>${esc(f.namespace)}</small></td>
          <td class="num ${f.availableReplicas < f.replicas ? 'warn' : ''}">${f.availableReplicas}/${f.replicas}</td>
          <td class="num invocations">${f.invocationCount}</td>
          <td class="num ${s.errorRate > 0 ? 'bad' : ''}">${pct(s.errorRate)}</td>
          <td class="num">${ms(s.p50Seconds)}</td>
          <td class="num">${ms(s.p99Seconds)}</td>
          <td class="num">${s.inflight}</td>
          <td class="num">${s.asyncAccepted}</td>
          <td class="num backlog">${backlogOf(`${f.name}.${f.namespace}`)}${stats.backlog?.truncated ? '+' : ''}</td>
        </tr>`;
      });
    this.querySelector('tbody').innerHTML = rows.join('') || '<tr><td colspan="9">No functions deployed.</td></tr>';
  }

  async deploy(event) {
    event.preventDefault();
    const form = event.target;
    const out = form.querySelector('output');
    const data = Object.fromEntries(new FormData(form));
    if (!data.envProcess) delete data.envProcess;
    try {
      await sendJson('POST', '/system/functions', data);
      out.textContent = `Deployed ${data.service}.`;
      form.reset();
      await this.refresh();
    } catch (err) {
      out.textContent = err.message;
    }
  }
}

/** One function: its spec and its logs, following. */
class KfFunction extends Page {
  render() {
    const name = this.getAttribute('name');
    this.innerHTML = `
      <h1><a href="#/functions">Functions</a> / ${esc(name)}</h1>
      <p class="error" role="alert"></p>
      <section class="card"><h2>Spec</h2><pre class="spec">Loading…</pre></section>
      <section class="card"><h2>Logs <small>following</small></h2><pre class="logs"></pre></section>`;
    getJson(`/system/function/${encodeURIComponent(name)}`, this.abort.signal).then(
      (spec) => (this.querySelector('.spec').textContent = JSON.stringify(spec, null, 2)),
      (err) => this.showError(err),
    );
    const logs = this.querySelector('.logs');
    followNdjson(`/system/logs?name=${encodeURIComponent(name)}&tail=200&follow=true`, (line) => {
      const stick = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
      logs.append(`${time(line.timestamp)} ${line.instance ? `[${line.instance.slice(-5)}] ` : ''}${line.text}\n`);
      if (stick) logs.scrollTop = logs.scrollHeight;
    }, this.abort.signal).catch((err) => {
      if (!this.abort.signal.aborted) logs.append(`(log stream ended: ${err.message})\n`);
    });
  }
}

/**
 * Calls: the async calls made from this tab, plus any looked up by call id, with their state and timeline from
 * the call status API (GET /async-calls/{id}); the API has no listing, so the page keeps the ids it knows.
 */
class KfCalls extends Page {
  render() {
    this.innerHTML = `
      <h1>Calls</h1>
      <p class="error" role="alert"></p>
      <form class="lookup inline-form"><label>Call id <input name="callId" required></label><button type="submit">Look up</button></form>
      <div class="scroll"><table>
        <thead><tr><th>Accepted</th><th>Function</th><th>Call id</th><th>State</th><th>Attempts</th><th>Timeline</th></tr></thead>
        <tbody class="calls"></tbody>
      </table></div>
      <h2>Async totals</h2>
      <div class="scroll"><table>
        <thead><tr><th>Function</th><th>Accepted</th></tr></thead>
        <tbody class="totals"></tbody>
      </table></div>`;
    this.querySelector('form.lookup').addEventListener('submit', (e) => {
      e.preventDefault();
      const callId = new FormData(e.target).get('callId').trim();
      if (callId) rememberCall({ name: '', mode: 'async', callId, status: 202, at: new Date().toISOString() });
      e.target.reset();
      this.refresh().catch((err) => this.showError(err));
    });
    poll(2000, this.abort.signal, () => this.refresh(), (err) => this.showError(err));
  }

  async refresh() {
    const calls = recentCalls().filter((c) => c.mode === 'async' && c.status === 202);
    const [statuses, stats] = await Promise.all([
      Promise.all(calls.map((c) => getJson(`/async-calls/${encodeURIComponent(c.callId)}`, this.abort.signal).catch((err) => ({ missing: err.message })))),
      getJson('/ui/api/stats', this.abort.signal),
    ]);
    this.querySelector('.calls').innerHTML =
      calls
        .map((c, i) => {
          const s = statuses[i];
          const bad = ['failed', 'dead-lettered', 'cancelled'].includes(s.state);
          const state = s.missing ? `unknown (${s.missing})` : s.reason ? `${s.state}: ${s.reason}` : s.state;
          const timeline = [
            s.enqueuedAt && `queued ${time(s.enqueuedAt)}`,
            s.startedAt && `started ${time(s.startedAt)}`,
            s.nextAttemptAt && `next attempt ${time(s.nextAttemptAt)}`,
            s.finishedAt && `${s.state} ${time(s.finishedAt)}${s.lastStatus !== undefined ? ` (status ${s.lastStatus})` : ''}`,
            s.callback && `callback ${s.callback.state}`,
          ].filter(Boolean).join(' → ');
          return `<tr data-call-id="${esc(c.callId)}"><td>${time(c.at)}</td><td>${esc(s.function ?? c.name)}</td><td><code>${esc(c.callId)}</code></td>
            <td class="state ${bad ? 'bad' : ''}">${esc(state)}</td><td class="num">${esc(s.attempts ?? '')}</td><td>${esc(timeline)}</td></tr>`;
        })
        .join('') || '<tr><td colspan="6">No async calls from this tab yet: use Invoke, or look one up by its call id.</td></tr>';
    this.querySelector('.totals').innerHTML =
      stats.functions
        .filter((s) => s.asyncAccepted > 0)
        .map((s) => `<tr><td>${esc(s.fn)}</td><td class="num">${s.asyncAccepted}</td></tr>`)
        .join('') || '<tr><td colspan="2">No async calls accepted since the gateway started.</td></tr>';
  }
}

/** Dead letters: what failed for good and why, newest first, refreshed every 3 s. */
class KfDeadLetters extends Page {
  render() {
    this.innerHTML = `
      <h1>Dead letters</h1>
      <p class="error" role="alert"></p>
      <div class="scroll"><table>
        <thead><tr><th>Dead at</th><th>Function</th><th>Call id</th><th>Reason</th><th>Attempts</th><th>Last status</th><th>Error</th><th></th></tr></thead>
        <tbody></tbody>
      </table></div>
      <p class="redriven" role="status"></p>`;
    this.querySelector('tbody').addEventListener('click', (e) => {
      const button = e.target.closest('button[data-redrive]');
      if (button) this.redrive(button.dataset.redrive);
    });
    poll(3000, this.abort.signal, () => this.refresh(), (err) => this.showError(err));
  }

  async refresh() {
    const letters = await getJson('/system/dead-letters?limit=200', this.abort.signal);
    this.querySelector('tbody').innerHTML =
      letters
        .map(
          (d) => `<tr data-call-id="${esc(d.callId)}"><td>${esc(new Date(d.deadAt).toLocaleString())}</td><td>${esc(d.function ?? '(undecodable)')}</td>
            <td><code>${esc(d.callId ?? '')}</code></td><td class="bad">${esc(d.reason)}</td><td class="num">${d.attempts}</td>
            <td class="num">${esc(d.lastStatus ?? '')}</td><td class="wrap">${esc(d.error ?? '')}</td>
            <td>${d.callId ? `<button type="button" data-redrive="${esc(d.callId)}">Redrive</button>` : ''}</td></tr>`,
        )
        .join('') || '<tr><td colspan="8">No dead letters.</td></tr>';
  }

  /** Enqueues a dead-lettered call again (same call id, attempts reset); the list keeps it as history. */
  async redrive(callId) {
    const line = this.querySelector('.redriven');
    try {
      const res = await sendJson('POST', '/system/dead-letters/redrive', { callIds: [callId] });
      line.textContent = `Redrive of ${callId}: ${JSON.stringify(await res.json())}`;
    } catch (err) {
      line.textContent = `Redrive of ${callId} failed: ${err.message}`;
    }
  }
}

/** Invoke: call a function sync or async and show the answer. */
class KfInvoke extends Page {
  render() {
    this.innerHTML = `
      <h1>Invoke</h1>
      <form class="card invoke">
        <label>Function <select name="name" required></select></label>
        <fieldset><legend>Mode</legend>
          <label class="inline"><input type="radio" name="mode" value="sync" checked> sync</label>
          <label class="inline"><input type="radio" name="mode" value="async"> async</label>
        </fieldset>
        <label>Body <textarea name="body" rows="4"></textarea></label>
        <label>Callback URL <small>(async, optional)</small> <input name="callbackUrl" type="url" placeholder="http://127.0.0.1:9000/done"></label>
        <button type="submit">Invoke</button>
      </form>
      <section class="card answer" hidden><h2>Answer</h2><p class="status"></p><pre class="body"></pre></section>`;
    const select = this.querySelector('select');
    getJson('/system/functions', this.abort.signal).then(
      (fns) => (select.innerHTML = fns.map((f) => `<option>${esc(f.name)}</option>`).sort().join('')),
      () => undefined,
    );
    this.querySelector('form').addEventListener('submit', (e) => this.send(e));
  }

  async send(event) {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    const answer = this.querySelector('.answer');
    answer.hidden = false;
    answer.querySelector('.status').textContent = 'Calling…';
    answer.querySelector('.body').textContent = '';
    try {
      const res = await invoke(data);
      if (data.mode === 'async') rememberCall({ name: data.name, mode: 'async', callId: res.callId, status: res.status, at: new Date().toISOString() });
      answer.querySelector('.status').textContent = `${res.status} in ${res.ms.toFixed(0)} ms, call id ${res.callId ?? 'none'}`;
      answer.querySelector('.body').textContent = res.text || (res.status === 202 ? '(accepted: the answer goes to the callback URL)' : '(empty body)');
    } catch (err) {
      answer.querySelector('.status').textContent = `Failed: ${err.message}`;
    }
  }
}

customElements.define('kf-functions', KfFunctions);
customElements.define('kf-function', KfFunction);
customElements.define('kf-calls', KfCalls);
customElements.define('kf-dead-letters', KfDeadLetters);
customElements.define('kf-invoke', KfInvoke);
