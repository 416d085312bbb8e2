// Values handed to CEL. The CEL library decides a value's type from its `constructor` property,
// so a plain object whose own key is `constructor` (`{"constructor": {…}}`) looked like an
// unknown class, and a declared field named `toString` or `valueOf` that was absent read the
// inherited function. Every object from an input, a context source, a decision or parameters
// is therefore copied into a Map: its keys are data, never properties, whatever they are named
// (`constructor`, `__proto__`, `prototype`, `hasOwnProperty`, …), and Map is a CEL map type.

/** A deep copy of a JSON-like value for CEL: plain objects become Maps, arrays are copied. */
export function celValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(celValue);
  if (v instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, x] of v) out.set(k, celValue(x));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v; // CEL's own values (uint, duration…)
  const out = new Map<string, unknown>();
  for (const k of Object.keys(v)) out.set(k, celValue((v as Record<string, unknown>)[k]));
  return out;
}
