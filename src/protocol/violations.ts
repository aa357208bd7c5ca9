/** Distinct violations a session keeps: the first ones (see Violations). */
export const MAX_VIOLATIONS = 20;

/**
 * How a client broke the protocol's rules in one session: each distinct text once, in the order first
 * seen, the first MAX_VIOLATIONS of them. A client that ends every line with a bare LF says so once
 * per verb, however many messages its session carries.
 */
export class Violations {
  readonly #seen = new Set<string>();

  add(text: string): void {
    if (this.#seen.size < MAX_VIOLATIONS) this.#seen.add(text);
  }

  get list(): readonly string[] {
    return [...this.#seen];
  }
}
