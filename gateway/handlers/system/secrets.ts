/** `/system/secrets`: list (names only), create, update, delete; 501 when the provider keeps no secrets. */
import type { RequestHandler } from 'express';
import { KfaasError } from '../../../common/errors.js';
import type { SecretStore } from '../../ports.js';
import { parseDelete, parseSecret } from './schemas.js';
import { requestNamespace, type SystemDeps } from './system-deps.js';

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
// A Kubernetes Secret name, which faas-cli checks too: DNS-1123 labels joined by dots, at most 253 characters.
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Validates a secret name; throws INVALID_NAME naming the field. */
export function secretName(name: string, field = 'name'): string {
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw new KfaasError('INVALID_NAME', `${field}: ${JSON.stringify(name)} must be a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters`);
  }
  return name;
}

function store(deps: SystemDeps): SecretStore {
  const secrets = deps.provider.secrets;
  if (!secrets) throw new KfaasError('NOT_IMPLEMENTED', `the ${deps.provider.info.provider} provider does not manage secrets`);
  return secrets;
}

/** Creates the handler of one /system/secrets method. */
export function createSecretsHandler(deps: SystemDeps, action: 'list' | 'create' | 'update' | 'delete'): RequestHandler {
  return async (req, res) => {
    const secrets = store(deps);
    if (action === 'list') {
      res.status(200).json(await secrets.list(requestNamespace(req, deps)));
      return;
    }
    if (action === 'delete') {
      // faas-cli sends {"name"}; the functions API's {"functionName"} shape is accepted too.
      const raw = (req.body ?? {}) as { name?: unknown; functionName?: unknown; namespace?: unknown };
      const body = parseDelete({ functionName: raw.functionName ?? raw.name, ...(raw.namespace !== undefined ? { namespace: raw.namespace } : {}) });
      await secrets.remove(secretName(body.functionName), requestNamespace(req, deps, body.namespace));
      res.status(202).end();
      return;
    }
    const body = parseSecret(req.body);
    if (body.value === undefined && body.rawValue === undefined) {
      throw new KfaasError('INVALID_FIELD', 'value: give value (text) or rawValue (base64)');
    }
    // Go clients send rawValue as a []byte, i.e. standard base64; Buffer would silently skip anything else.
    if (body.rawValue !== undefined && !BASE64.test(body.rawValue)) throw new KfaasError('INVALID_FIELD', 'rawValue: must be base64');
    // faas-cli 0.18 `secret create --from-file` sends both, for older gateways; rawValue holds the exact bytes.
    const value = body.rawValue !== undefined ? Buffer.from(body.rawValue, 'base64') : Buffer.from(body.value!, 'utf8');
    const secret = { name: secretName(body.name), namespace: requestNamespace(req, deps, body.namespace), value };
    if (action === 'create') {
      await secrets.create(secret);
      res.status(201).end();
    } else {
      await secrets.update(secret);
      res.status(200).end();
    }
  };
}
