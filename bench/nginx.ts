/**
 * nginx as a reverse-proxy baseline: the anchor a user compares a gateway against. One process (no master, one
 * worker's worth of work), keep-alive to the upstream, no logging, all files in a temporary prefix.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../runtime/free-port.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { procStatusKb } from './support.js';

/** A running nginx proxy and its CPU and memory readings. */
export interface NginxProxy {
  readonly port: number;
  readonly pid: number;
  readonly version: string;
  /** CPU microseconds (user + system) and RSS bytes, from /proc. */
  sample(): Promise<{ cpuUs: number; rss: number }>;
  stop(): Promise<void>;
}

/** CPU time of a process from /proc/<pid>/stat (clock ticks of 10 ms), in microseconds. */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Starts nginx proxying 127.0.0.1:`port` → 127.0.0.1:`targetPort`. */
export async function startNginx(targetPort: number, bin = 'nginx'): Promise<NginxProxy> {
  const prefix = mkdtempSync(join(tmpdir(), 'kfaas-nginx-'));
  const port = await freeLoopbackPort();
  writeFileSync(join(prefix, 'nginx.conf'), `
master_process off;
daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream fn { server 127.0.0.1:${targetPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://fn;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`);
  const child = spawn(bin, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  // Ready when the port answers; a child that exits first fails the wait at once.
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' })) && true, {
    description: `nginx on port ${port}`,
    timeoutMs: 10_000,
    intervalMs: 50,
    abort: () => (child.exitCode !== null || child.pid === undefined
      ? new Error(`nginx exited: ${stderr || 'is nginx installed? run scripts/bench-deps.sh'}`)
      : undefined),
  });
  const version = await new Promise<string>((resolve) => {
    const v = spawn(bin, ['-v'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    v.stderr.on('data', (c: Buffer) => (out += c.toString()));
    v.once('exit', () => resolve(/nginx\/(\S+)/.exec(out)?.[1] ?? 'unknown'));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('nginx did not start');
  return {
    port,
    pid,
    version,
    sample: async () => ({ cpuUs: cpuUs(pid), rss: procStatusKb(pid, 'VmRSS') * 1024 }),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
