/** The desired Service of a function: ClusterIP, port 8080 named http, selecting the function's pods. */
import type { V1Service } from '@kubernetes/client-node';
import type { FunctionResource } from '../../common/function-types.js';
import { ownedAnnotations, ownedLabels, withSpecHash } from './build-deployment.js';
import { FUNCTION_PORT, FUNCTION_PORT_NAME, functionNamespace, ownerReference, selectorLabels, serviceName } from './names.js';

/** Builds the desired Service of a function, stamped with its spec hash. */
export function buildService(fn: FunctionResource): V1Service {
  const labels = ownedLabels(fn);
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: serviceName(fn),
      namespace: functionNamespace(fn),
      labels,
      annotations: ownedAnnotations(fn, labels),
      ownerReferences: [ownerReference(fn)],
    },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(fn.metadata.name),
      ports: [{ name: FUNCTION_PORT_NAME, protocol: 'TCP', port: FUNCTION_PORT, targetPort: FUNCTION_PORT }],
    },
  };
  return withSpecHash(service);
}
