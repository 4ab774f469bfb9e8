/** `kfaas generate`: prints the Function resources of a stack file, ready for `kubectl apply -f -`. */
import { stringify } from 'yaml';
import { FUNCTION_API_VERSION, FUNCTION_KIND, type FunctionResource, type FunctionSpec } from '../common/function-types.js';

/** Converts stack functions to Function resources in `namespace`; a function without an image takes `defaultImage`. */
export function toFunctionResources(
  functions: readonly FunctionSpec[],
  namespace: string,
  defaultImage?: string,
): FunctionResource[] {
  return functions.map((spec) => {
    const image = spec.image.startsWith('local/') && defaultImage ? defaultImage : spec.image;
    return {
      apiVersion: FUNCTION_API_VERSION,
      kind: FUNCTION_KIND,
      metadata: { name: spec.name, namespace },
      spec: { ...spec, image },
    };
  });
}

/** Renders resources as a multi-document YAML stream. */
export function renderResources(resources: readonly FunctionResource[]): string {
  return resources.map((r) => `---\n${stringify(r)}`).join('');
}
