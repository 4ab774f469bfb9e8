/** What marks a Kubernetes namespace as one functions may live in. */

/**
 * The marker OpenFaaS (faas-netes) uses: a namespace labelled, or annotated, `openfaas: "1"` may hold functions.
 * kfaas reads either and writes the label, which the apiserver can also select on.
 */
export const FUNCTION_NAMESPACE_MARKER = Object.freeze({ key: 'openfaas', value: '1' });

/** Whether a namespace's metadata marks it as a function namespace (label or annotation `openfaas: "1"`). */
export function isMarkedFunctionNamespace(meta: { labels?: Record<string, string> | undefined; annotations?: Record<string, string> | undefined }): boolean {
  const { key, value } = FUNCTION_NAMESPACE_MARKER;
  return meta.labels?.[key] === value || meta.annotations?.[key] === value;
}

/** Labels with the marker put back: an update through the API never turns a function namespace into a plain one. */
export function withMarker(labels: Readonly<Record<string, string>>): Record<string, string> {
  return { ...labels, [FUNCTION_NAMESPACE_MARKER.key]: FUNCTION_NAMESPACE_MARKER.value };
}
