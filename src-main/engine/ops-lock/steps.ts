/**
 * The steps of an operation, in order, so that one stopped at a safe point can
 * say what it did and what it left for the next run.
 */
import { OperationCancelled } from './lock.js';

export interface StepPlan {
  /** Said of a step not reached: "start the containers". */
  todo: string;
  /** Said of a finished step: "started the containers". */
  done: string;
}

export class Steps<K extends string> {
  private readonly finished: K[] = [];
  private current: K | undefined;

  constructor(
    private readonly plan: Record<K, StepPlan>,
    /** Why the operation must stop now, or undefined to go on. */
    private readonly cancelled: () => Promise<string | undefined> = async () => undefined,
  ) {}

  /** Finishes the current step, then starts `next` unless the operation was cancelled. */
  async begin(next: K): Promise<void> {
    this.finishCurrent();
    await this.checkpoint(next);
    this.current = next;
  }

  /** Throws OperationCancelled when the operation must stop; `next` is the step not started. */
  async checkpoint(next?: K): Promise<void> {
    const why = await this.cancelled();
    if (why) throw this.cancelledError(why, next);
  }

  /** Finishes the last step. */
  end(): void {
    this.finishCurrent();
  }

  /** The error for an operation stopped before `next` (or inside the current step). */
  cancelledError(why: string, next?: K): OperationCancelled {
    const keys = Object.keys(this.plan) as K[];
    const from = next ?? this.current;
    const rest = from ? keys.slice(Math.max(0, keys.indexOf(from))) : keys;
    return new OperationCancelled(
      why,
      this.finished.map((k) => this.plan[k].done),
      rest.filter((k) => !this.finished.includes(k)).map((k) => this.plan[k].todo),
    );
  }

  private finishCurrent() {
    if (this.current && !this.finished.includes(this.current)) this.finished.push(this.current);
    this.current = undefined;
  }
}
