import { resourceOf } from './rest-client.js';

describe('resourceOf', () => {
  it.each([
    ['/api/v1/namespaces/fns/secrets/db', 'secrets'],
    ['/api/v1/namespaces/fns/events', 'events'],
    ['/api/v1/services', 'services'],
    ['/apis/apps/v1/namespaces/fns/deployments', 'deployments'],
    ['/apis/apps/v1/namespaces/fns/deployments/echo', 'deployments'],
    ['/apis/kfaas.dev/v1alpha1/namespaces/fns/functions/echo/status', 'functions/status'],
    ['/apis/kfaas.dev/v1alpha1/functions', 'functions'],
    ['/apis/coordination.k8s.io/v1/namespaces/default/leases/kfaas-operator', 'leases'],
    ['/api/v1/namespaces/fns', 'namespaces'],
  ])('%s -> %s', (path, resource) => {
    expect(resourceOf(path)).toBe(resource);
  });
});
