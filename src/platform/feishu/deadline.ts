// Feishu gives a card callback 3 s to answer (docs/feishu.md §2) and never re-sends it. The work is
// raced against a shorter budget: in time, its answer goes back; too late, an interim answer
// goes back now and the real one is handed to `onLate` when the work finishes — never lost, and
// never delivered before the interim answer (the caller delays the delivery).
const TIMED_OUT = Symbol('timed-out');

export async function answerWithin<T>(
  work: Promise<T>,
  budgetMs: number,
  interim: () => T,
  onLate: (answer: T) => Promise<void>,
  onLateError: (e: unknown) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), budgetMs);
  });
  try {
    const first = await Promise.race([work, timeout]);
    if (first !== TIMED_OUT) return first;
  } finally {
    clearTimeout(timer);
  }
  work.then(onLate).catch(onLateError);
  return interim();
}
