// What a fixture line expects from our decoder, and how decoded values are compared with
// it. `expect.values` is the translation of the source's own values (fixture-translate.ts);
// `override.values` is what mi32-xs gives instead where one of its documented conventions
// differs, with a reason that names the convention (test/fixtures/README.md).

export type Values = Record<string, unknown>;

export interface Override {
  values: Values;
  reason: string;
}

/** The README's conventions an override may cite: its reason starts with "<rule>: ". */
export const OVERRIDE_RULES = [
  'button numbering', // a 0x1001 object numbers the button by its raw first byte
  'frame precision', // the frame has more precision than the source printed
  'not in the frame', // the source computes a value the frame does not carry
  'more than the source reports', // the frame carries a value the source leaves out
  'unknown product', // decoded with the generic object parser, as Tasmota does
  'Tasmota convention', // an object read the way Tasmota reads it
  'Tasmota name', // Tasmota's name for a key the translation spells otherwise
  'unit in the key', // BTHome's second unit of a quantity gets its own key
  'repeated objects', // the first of repeated BTHome objects is unsuffixed
  'lock texts', // xiaomi-ble's texts for lock events, key ids and fingerprint results
  'not decoded yet', // the source reads an object we do not decode (expect.unsupported)
] as const;

/** The rule an override cites, or undefined when its reason names none. */
export function overrideRule(reason: unknown): string | undefined {
  if (typeof reason !== 'string') return undefined;
  return OVERRIDE_RULES.find((rule) => reason.startsWith(`${rule}: `) && reason.length > rule.length + 10);
}

/**
 * Decimals a number was written with (the shortest form that reads back as the same
 * double, which is how both Python and JSON.stringify print): 66.1 -> 1, 1e-7 -> 7.
 */
export function printedDecimals(x: number): number {
  const [mantissa = '', exponent = '0'] = String(Math.abs(x)).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/**
 * A decoded number matches an expected one within half a unit of the expected number's
 * last printed decimal: the source printed 27.2, so anything in [27.15, 27.25] is what
 * it could have meant, and one step of a 0.1-resolution frame (27.3) is not. Never
 * tighter than two ulps, so a full-precision float the source computed
 * (36.87199806168224) compares as that float and nothing coarser.
 */
export function numbersMatch(actual: number, expected: number): boolean {
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) return Object.is(actual, expected);
  const halfUnit = 0.5 * 10 ** -printedDecimals(expected);
  const twoUlps = 2 * Number.EPSILON * Math.abs(expected);
  return Math.abs(actual - expected) <= Math.max(halfUnit, twoUlps);
}

/** Why `actual` does not match `expected`: one line per key; empty when it matches. */
export function valueMismatches(actual: Values, expected: Values): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const a = actual[key];
    const e = expected[key];
    if (!(key in actual)) out.push(`${key}: missing, expected ${JSON.stringify(e)}`);
    else if (!(key in expected)) out.push(`${key}: ${JSON.stringify(a)} not expected`);
    else if (typeof a === 'number' && typeof e === 'number' ? !numbersMatch(a, e) : a !== e) {
      out.push(`${key}: ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`);
    }
  }
  return out;
}
