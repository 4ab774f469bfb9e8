/** The per-call exec limit: the configured ceiling, which an `X-Timeout` header may only lower. */
import { tryParseDuration } from '../common/duration.js';

/** The effective exec limit of one call, and whether the caller's header lowered it. */
export interface ExecLimit {
  readonly ms: number;
  readonly lowered: boolean;
}

/**
 * Applies `X-Timeout` to the configured `exec_timeout` (0 = no limit). The header is ignored when it is
 * absent, unparsable, not positive, not lower than the ceiling, or when there is no ceiling to lower.
 */
export function effectiveExecLimit(configuredMs: number, header: string | string[] | undefined): ExecLimit {
  const value = Array.isArray(header) ? header[0] : header;
  if (configuredMs === 0 || value === undefined) return { ms: configuredMs, lowered: false };
  const requested = tryParseDuration(value);
  if (requested === undefined || requested <= 0 || requested >= configuredMs) {
    return { ms: configuredMs, lowered: false };
  }
  return { ms: requested, lowered: true };
}
