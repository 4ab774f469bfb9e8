/**
 * DNS resolution for callbacks that applies the callback policy to every address a host name resolves to.
 * It runs as the socket's own lookup, so the address checked is the address connected to: a name cannot pass
 * a check and then resolve elsewhere for the connection (DNS rebinding).
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { CallbackPolicy } from '../../common/callback-policy.js';

/** The error code of a lookup the policy refused. */
export const CALLBACK_REFUSED_CODE = 'KFAAS_CALLBACK_REFUSED';

type Resolve = (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/** A lookup that fails with CALLBACK_REFUSED_CODE when any address of the name is refused. */
export function checkedLookup(policy: CallbackPolicy, resolve: Resolve = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      // Refuse the name if any of its addresses is refused: the socket may try each of them in turn.
      const refusal = addresses.map((a) => policy.checkAddress(a.address)).find((r) => r !== undefined);
      if (refusal) {
        const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${refusal}`);
        refused.code = CALLBACK_REFUSED_CODE;
        return callback(refused, '', 0);
      }
      const first = addresses[0];
      if (options.all) callback(null, addresses);
      else if (first) callback(null, first.address, first.family);
      else callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
    });
  };
}
