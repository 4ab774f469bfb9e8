import { parse, parseAllDocuments } from 'yaml';
import { renderResources, toFunctionResources } from './generate.js';

describe('kfaas generate', () => {
  const functions = [
    { name: 'echo', image: 'local/echo', handler: 'cat', timeouts: { exec: '5s' } },
    { name: 'resize', image: 'ghcr.io/acme/resize:1', handler: 'node index.js' },
  ];

  it('turns stack functions into Function resources in the namespace', () => {
    const resources = toFunctionResources(functions, 'openfaas-fn', 'ghcr.io/acme/kfaas:0.1.0');
    expect(resources[0]).toEqual({
      apiVersion: 'kfaas.dev/v1alpha1',
      kind: 'Function',
      metadata: { name: 'echo', namespace: 'openfaas-fn' },
      spec: { name: 'echo', image: 'ghcr.io/acme/kfaas:0.1.0', handler: 'cat', timeouts: { exec: '5s' } },
    });
    expect(resources[1]!.spec.image).toBe('ghcr.io/acme/resize:1');
  });

  it('renders one YAML document per function', () => {
    const docs = parseAllDocuments(renderResources(toFunctionResources(functions, 'ns')));
    expect(docs.map((d) => (d.toJS() as { metadata: { name: string } }).metadata.name)).toEqual(['echo', 'resize']);
    expect(parse(docs[0]!.toString())).toMatchObject({ kind: 'Function' });
  });
});
