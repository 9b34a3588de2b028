// Back-pressure for card callbacks. Feishu waits 3 s for an answer and never re-sends, so work the
// bot accepts must be answered with its real result inside that time; work it cannot finish in
// time is better refused at once ("系统繁忙，请稍后再试", nothing stored, the owner taps again)
// than accepted with a stand-in and finished a minute later.
//
// At most `maxInFlight` callbacks run at once; one more waits in arrival order for a free slot, for
// at most `maxWaitMs`, and is then refused. The wait is handed to the work so it can shorten its own
// budget: waiting plus working stays inside the callback budget.
export type GateOptions = { maxInFlight: number; maxWaitMs: number };
export type GateStats = { inFlight: number; waiting: number; admitted: number; refused: number };

type Waiter = { admit: () => void; timer: NodeJS.Timeout };

export class IntakeGate {
  private inFlight = 0;
  private readonly queue: Waiter[] = [];
  private admitted = 0;
  private refused = 0;

  constructor(private readonly opts: GateOptions) {
    if (!(opts.maxInFlight >= 1)) throw new Error(`IntakeGate: maxInFlight must be at least 1, got ${opts.maxInFlight}`);
  }

  /** Runs `work(waitedMs)` when a slot is free within the wait limit, else answers `busy()`. */
  async run<T>(work: (waitedMs: number) => Promise<T>, busy: () => T): Promise<T> {
    const started = performance.now();
    if (!(await this.enter())) {
      this.refused++;
      return busy();
    }
    this.admitted++;
    try {
      return await work(Math.round(performance.now() - started));
    } finally {
      this.leave();
    }
  }

  stats(): GateStats {
    return { inFlight: this.inFlight, waiting: this.queue.length, admitted: this.admitted, refused: this.refused };
  }

  private enter(): Promise<boolean> {
    if (this.inFlight < this.opts.maxInFlight && this.queue.length === 0) {
      this.inFlight++;
      return Promise.resolve(true);
    }
    if (this.opts.maxWaitMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        // The slot is handed over by leave(): inFlight stays counted for the new holder.
        admit: () => {
          clearTimeout(waiter.timer);
          resolve(true);
        },
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          resolve(false);
        }, this.opts.maxWaitMs),
      };
      this.queue.push(waiter);
    });
  }

  private leave(): void {
    const next = this.queue.shift();
    if (next) next.admit();
    else this.inFlight--;
  }
}
