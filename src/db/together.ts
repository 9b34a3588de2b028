// Statements sent together on what may be one transaction: bulk writes in parts (each part
// encoded while the server works on the last), and reads run side by side.
//
// Kysely runs a transaction's statements one after another on its connection, holding each back
// until the one before it has finished; but when the transaction's callback throws, its ROLLBACK
// goes to the connection at once, ahead of any statement still held back. A statement queued
// after a failed one must therefore be allowed to settle (it fails: the transaction is aborted)
// before the error leaves the callback, or it runs after the ROLLBACK, outside the transaction,
// and commits on its own.

/**
 * Sends each part's statement as soon as the part is encoded, stops encoding at the first
 * failure, and returns (or throws the first failure) only when every statement sent has settled.
 */
export async function pipelined<P>(parts: Iterable<P>, send: (part: P) => Promise<unknown>): Promise<void> {
  const sent: Promise<unknown>[] = [];
  let failed = false;
  for (const part of parts) {
    if (failed) break;
    const statement = send(part);
    statement.catch(() => void (failed = true));
    sent.push(statement);
    // Lets the driver put this part on the wire before the next one is encoded.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await together(sent);
}

/** The results of `statements`, in order, as Promise.all gives them. */
type Results<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/**
 * Promise.all for statements that may share a transaction: on a pool they still run side by side,
 * but a failure is thrown only once every one of them has settled.
 */
export async function together<T extends readonly unknown[] | []>(statements: T): Promise<Results<T>> {
  const settled = await Promise.allSettled(statements);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as Results<T>;
}
