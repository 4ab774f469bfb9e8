/**
 * Kubernetes resource quantities (`100m`, `128Mi`, `1.5`, `2e3`). The apiserver stores them in canonical form
 * (`0.5` becomes `500m`), so the operator compares them by value, never as text, to avoid endless "drift".
 */

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The non-negative quantity grammar; the CRD's `pattern` uses the same expression. */
export const QUANTITY_PATTERN = '^\\+?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][-+]?[0-9]+))?$';

const QUANTITY = /^\+?((?:[0-9]+(?:\.[0-9]*)?)|(?:\.[0-9]+))((?:[KMGTPE]i)|[numkMGTPE]|(?:[eE][-+]?[0-9]+))?$/;

/** Parses a non-negative quantity to its value in base units, or undefined when it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const number = Number(match[1]);
  const suffix = match[2] ?? '';
  if (suffix.startsWith('e') || suffix.startsWith('E')) {
    const value = number * 10 ** Number(suffix.slice(1));
    return Number.isFinite(value) ? value : undefined;
  }
  const factor = SUFFIX[suffix];
  return factor === undefined ? undefined : number * factor;
}

/** True when two quantity strings denote the same amount (within floating-point rounding). */
export function quantitiesEqual(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (x === undefined || y === undefined) return false;
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}
