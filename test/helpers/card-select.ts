// What a select_static shows as picked: cards pre-fill by initial_index (1-based), so tests read the
// option it points at rather than a property.
export function selectedValue(select: unknown): string | undefined {
  const s = select as { initial_index?: number; options?: { value: string }[] };
  if (typeof s.initial_index !== 'number' || s.initial_index < 1) return undefined;
  return s.options?.[s.initial_index - 1]?.value;
}
