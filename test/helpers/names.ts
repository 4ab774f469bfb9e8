import crypto from 'node:crypto';

/**
 * A name unique to this call, safe as a Kubernetes object name (DNS-1123 label: lowercase alphanumerics and
 * '-', at most 63 characters, alphanumeric at both ends) and as a Kafka topic or group id.
 */
export function uniqueName(prefix = 't'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 't';
  const suffix = `${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
  // 63 - 1 (separator) - suffix length leaves room for the prefix; trailing '-' would break the label rule.
  const head = clean.slice(0, 63 - 1 - suffix.length).replace(/-+$/, '') || 't';
  return `${head}-${suffix}`;
}
