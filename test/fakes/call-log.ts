/**
 * The calls a use case made through its ports, in order, as "port.method". Fakes share one log, so
 * a test can state the whole conversation ("one conditional write, no Stripe call") or its absence
 * ("a refused request calls nothing").
 */
export interface PortCall {
  call: string;
  args: unknown[];
}

export class CallLog {
  private readonly entries: PortCall[] = [];

  record(call: string, args: unknown[]): void {
    this.entries.push({ call, args });
  }

  /** "port.method" of every call so far, oldest first. */
  get calls(): string[] {
    return this.entries.map((entry) => entry.call);
  }

  /** The arguments of every call to one "port.method", oldest first. */
  argsOf(call: string): unknown[][] {
    return this.entries.filter((entry) => entry.call === call).map((entry) => entry.args);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
