// A cache for pure functions of a few distinct arguments (period keys, zones, due times): a
// fan-out asks the same questions of the same cycle for every card, and each answer costs a
// schema parse and date arithmetic. Bounded: emptied when full, as the keys in use are few.

/** Returns a lookup that computes a value once per key and then answers from the cache. */
export function memoByKey<T>(limit = 2000): (key: string, compute: () => T) => T {
  const cache = new Map<string, T>();
  return (key, compute) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = compute();
    if (cache.size >= limit) cache.clear();
    cache.set(key, value);
    return value;
  };
}
