/**
 * The dashboard at /ui/: a few static files (plain ES modules and web components, no build step) and one JSON
 * endpoint with per-function figures. Everything else it shows comes from the /system API, with the same basic
 * auth: the browser's own login prompt covers the page and its fetches alike.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { CallStatusReader } from '../../common/call-status.js';
import { KfaasError } from '../../common/errors.js';
import { readFunctionStats } from './function-stats.js';

/** What the dashboard's routes need. */
export interface UiDeps {
  readonly registry: Registry;
  /** True when the gateway has an async queue (the Dead letters and async Invoke pages depend on it). */
  readonly asyncEnabled: boolean;
  /** The call status store: the async backlog per function comes from it. */
  readonly callStatus?: Pick<CallStatusReader, 'backlog'>;
}

/** A /system-protected GET route (the shape app.ts's route table takes). */
export interface UiRoute {
  readonly methods: readonly string[];
  readonly path: string;
  readonly access: 'system';
  readonly handler: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
}

const TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'pages.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

// The files sit beside this module in the source tree and are copied beside it into dist/ by `npm run build`.
const STATIC_DIR = new URL('./static/', import.meta.url);

// Same-origin everything: no inline script, no third-party host, no framing.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

/** The dashboard's routes: /ui/api/stats and the static files (/ui redirects to /ui/). */
export function createUiRoutes(deps: UiDeps): UiRoute[] {
  // Read once at start: a handful of small files, and a missing one fails the gateway's start, not a page view.
  const files = new Map(Object.keys(TYPES).map((name) => [name, readFileSync(new URL(name, STATIC_DIR))]));
  const serveFile = (name: string, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': TYPES[name]!, ...SECURITY_HEADERS });
    res.end(files.get(name));
  };
  return [
    {
      methods: ['GET'],
      path: '/ui/api/stats',
      access: 'system',
      handler: (_req, res, next) => {
        Promise.all([readFunctionStats(deps.registry), deps.callStatus?.backlog()]).then(([functions, backlog]) => {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify({ asyncEnabled: deps.asyncEnabled, functions, ...(backlog ? { backlog } : {}) }));
        }, next);
      },
    },
    {
      methods: ['GET'],
      path: '/ui{/:file}',
      access: 'system',
      handler: (req, res) => {
        const path = (req.url ?? '/ui/').split('?')[0]!;
        // Relative asset URLs in the page only resolve under /ui/ (Express matches /ui and /ui/ alike).
        if (path === '/ui') {
          res.writeHead(308, { location: '/ui/' });
          res.end();
          return;
        }
        const name = path.slice('/ui/'.length) || 'index.html';
        if (!files.has(name)) throw new KfaasError('NOT_FOUND', `the dashboard has no file ${JSON.stringify(name)}`);
        serveFile(name, res);
      },
    },
  ];
}
