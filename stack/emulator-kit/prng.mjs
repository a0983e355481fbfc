// @ts-check
/**
 * mulberry32: small, fast, good enough for test faults and scenarios, and fully determined by
 * its seed. It has no imports, so both the emulator (Node) and the worker tests (workerd) use it.
 * @param {number} seed
 * @returns {() => number} a function giving the next number in [0, 1)
 */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
