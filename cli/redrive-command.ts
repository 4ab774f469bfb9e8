/**
 * `kfaas dead-letters redrive (--call-id <id>… | --function <name> [--namespace <ns>] | --all)`: asks a gateway's
 * `POST /system/dead-letters/redrive` to enqueue dead-lettered calls again, with the /system credentials.
 */
import type { RedriveSelector } from '../common/call-status.js';
import { authHeaders, gatewayBase, type CallsOptions } from './calls-command.js';

/** Flags of the redrive command. */
export interface RedriveOptions extends CallsOptions {
  readonly callId?: readonly string[];
  readonly function?: string;
  readonly namespace?: string;
  readonly all?: boolean;
}

/** The selector the flags name; throws a message unless exactly one kind is given. */
export function redriveSelector(opts: RedriveOptions): RedriveSelector {
  const kinds = [opts.callId?.length ? 'ids' : '', opts.function ? 'fn' : '', opts.all ? 'all' : ''].filter(Boolean);
  if (kinds.length !== 1) throw new Error('give exactly one of --call-id <id>…, --function <name>, --all');
  if (opts.all) return { all: true };
  if (opts.function) return { function: opts.function, namespace: opts.namespace ?? 'openfaas-fn' };
  return { callIds: [...(opts.callId ?? [])] };
}

/** Runs the command; prints what was redriven. */
export async function main(opts: RedriveOptions): Promise<void> {
  let url: string;
  let headers: Record<string, string>;
  let selector: RedriveSelector;
  try {
    url = `${gatewayBase(opts)}/system/dead-letters/redrive`;
    headers = { ...authHeaders(opts), 'content-type': 'application/json' };
    selector = redriveSelector(opts);
  } catch (err) {
    process.stderr.write(`kfaas dead-letters redrive: ${(err as Error).message}\n`);
    process.exit(2);
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(selector) });
  } catch (err) {
    process.stderr.write(`kfaas dead-letters redrive: cannot reach ${url}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`kfaas dead-letters redrive: ${res.status} ${text}\n`);
    process.exit(1);
  }
  process.stdout.write(`${text}\n`);
}
