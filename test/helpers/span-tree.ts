/**
 * Renders a Jaeger trace as a self-contained HTML waterfall (the span tree, indented, with each span's bar on a
 * shared time axis), for a screenshot in the README: the Jaeger binary built from its Go module has no UI assets.
 */
import { parentOf, tag, type JaegerSpan, type JaegerTrace } from './jaeger.js';

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The spans in tree order (parents before children, siblings by start time) with their depth. */
export function spanTree(trace: JaegerTrace): Array<{ span: JaegerSpan; depth: number }> {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  const children = new Map<string | undefined, JaegerSpan[]>();
  for (const s of trace.spans) {
    const parent = parentOf(s);
    const key = parent && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), s]);
  }
  const out: Array<{ span: JaegerSpan; depth: number }> = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => a.startTime - b.startTime)) {
      out.push({ span: s, depth });
      walk(s.spanID, depth + 1);
    }
  };
  walk(undefined, 0);
  return out;
}

/** The waterfall page of one trace. */
export function renderSpanTree(trace: JaegerTrace, title: string): string {
  const rows = spanTree(trace);
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const end = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
  const total = Math.max(end - start, 1);
  const body = rows
    .map(({ span, depth }) => {
      const error = tag(span, 'otel.status_code') === 'ERROR';
      const details = ['kfaas.attempt', 'http.response.status_code', 'kfaas.decision', 'kfaas.dead_letter.reason', 'messaging.system']
        .filter((k) => tag(span, k) !== undefined)
        .map((k) => `${k.split('.').at(-1)}=${esc(tag(span, k))}`)
        .join(' ');
      const left = ((span.startTime - start) / total) * 100;
      const width = Math.max((span.duration / total) * 100, 0.4);
      return `<tr class="${error ? 'err' : ''}">
        <td style="padding-left:${0.6 + depth * 1.2}rem"><b>${esc(trace.processes[span.processID]?.serviceName)}</b> ${esc(span.operationName)}
          <span class="kind">${esc(tag(span, 'span.kind'))}</span><div class="meta">${details}</div></td>
        <td class="bar"><div style="margin-left:${left}%;width:${width}%"></div><span>${(span.duration / 1000).toFixed(1)} ms</span></td></tr>`;
    })
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body{font:14px system-ui,sans-serif;margin:16px;color:#1d2430}
    h1{font-size:16px;margin:0 0 4px}.sub{color:#5b6473;margin:0 0 12px;font-size:12px}
    table{border-collapse:collapse;width:100%}td{border-bottom:1px solid #e3e7ee;padding:5px 8px;vertical-align:top}
    td:first-child{width:46%;white-space:nowrap}.kind{color:#5b6473;font-size:11px;margin-left:4px}
    .meta{color:#5b6473;font-size:11px}.bar div{height:12px;background:#4a78d8;border-radius:2px}
    .bar span{font-size:11px;color:#5b6473}.err .bar div{background:#c8372d}.err b{color:#c8372d}
  </style></head><body><h1>${esc(title)}</h1><p class="sub">trace ${esc(trace.traceID)} · ${rows.length} spans · ${(total / 1000).toFixed(0)} ms · from the Jaeger query API</p>
  <table>${body}</table></body></html>`;
}
