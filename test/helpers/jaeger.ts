/**
 * A real Jaeger (v2: an OpenTelemetry collector with an in-memory store and the query API), built from its Go
 * module by scripts/jaeger-bin.sh into the tool cache, on free loopback ports with a config written per run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePorts } from '../harness/ports.js';
import { waitFor } from './wait-for.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** A running Jaeger. */
export interface Jaeger {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP). */
  readonly otlpEndpoint: string;
  /** Base URL of the query API (and UI). */
  readonly queryUrl: string;
  /** The spans of one trace, or undefined while Jaeger has none. */
  trace(traceId: string): Promise<JaegerTrace | undefined>;
  stop(): Promise<void>;
}

/** One span as the query API (`/api/traces/{id}`) returns it. */
export interface JaegerSpan {
  readonly spanID: string;
  readonly operationName: string;
  readonly references: ReadonlyArray<{ readonly refType: string; readonly spanID: string; readonly traceID: string }>;
  /** Microseconds since the epoch. */
  readonly startTime: number;
  readonly duration: number;
  readonly tags: ReadonlyArray<{ readonly key: string; readonly value: unknown }>;
  readonly processID: string;
}

/** A trace: its spans and the processes (services) that made them. */
export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, { readonly serviceName: string }>>;
}

/** A span's tag value. */
export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

/** The span's parent span id (its CHILD_OF reference). */
export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

function config(otlpPort: number, queryPort: number, queryGrpcPort: number): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${queryPort}
    grpc:
      endpoint: 127.0.0.1:${queryGrpcPort}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/** Builds Jaeger when the cache lacks it (minutes, once), starts it, and waits for its query API. */
export async function startJaeger(): Promise<Jaeger> {
  const bin = execFileSync(join(ROOT, 'scripts', 'jaeger-bin.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_800_000 }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'kfaas-jaeger-'));
  const [otlpPort, queryPort, queryGrpcPort] = (await freePorts(3)) as [number, number, number];
  writeFileSync(join(dir, 'config.yaml'), config(otlpPort, queryPort, queryGrpcPort));
  const child: ChildProcess = spawn(join(bin, 'jaeger'), ['--config', join(dir, 'config.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const queryUrl = `http://127.0.0.1:${queryPort}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`jaeger exited early:\n${output}`);
        return (await fetch(`${queryUrl}/api/services`)).ok;
      },
      { timeoutMs: 60_000, description: 'the Jaeger query API' },
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return {
    otlpEndpoint: `http://127.0.0.1:${otlpPort}`,
    queryUrl,
    async trace(traceId) {
      const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`jaeger answered ${res.status} for trace ${traceId}: ${await res.text()}`);
      const body = (await res.json()) as { data?: JaegerTrace[] };
      return body.data?.[0];
    },
    stop,
  };
}
