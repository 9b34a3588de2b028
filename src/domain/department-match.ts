// Matching the department an owner typed ("自然资源局", "住建") to the departments table.
// Pure. Deliberately modest: exact, then containment either way; several candidates are
// resolved only when one is clearly the closest in length, otherwise the caller falls back to
// the project's own department rather than guess between two offices.
export type DepartmentRef = { id: number; name: string };

/** Folds width and drops spaces and punctuation people add around names. */
export function normalizeDepartmentName(name: string): string {
  return name.normalize('NFKC').replace(/[\s·、,，.。()（）]/g, '');
}

export function matchDepartment(typed: string | null, departments: readonly DepartmentRef[]): DepartmentRef | null {
  const q = normalizeDepartmentName(typed ?? '');
  if (!q) return null;
  const named = departments.map((d) => ({ d, n: normalizeDepartmentName(d.name) })).filter((x) => x.n);
  const exact = named.find((x) => x.n === q);
  if (exact) return exact.d;
  // "住建局" is in "市住建局"; "市自然资源局负责" contains "自然资源局".
  const contained = named
    // Two characters at least, or "局" would match every office.
    .filter((x) => (q.length >= 2 && x.n.includes(q)) || (x.n.length >= 2 && q.includes(x.n)))
    .map((x) => ({ ...x, distance: Math.abs(x.n.length - q.length) }))
    .sort((a, b) => a.distance - b.distance);
  const [best, second] = contained;
  if (!best) return null;
  if (second && second.distance === best.distance) return null;
  return best.d;
}
