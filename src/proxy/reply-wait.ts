/**
 * How long the server left the client waiting in one session, with nothing coming from it: the silences
 * while it owed a reply (to a command, or to the end of the data) or, for a ReplyWait asked once at the
 * start, its greeting. A silence begins when a step reaches the proxy while none was owed, or when the
 * server's octets came and a reply is still owed (pipelined steps are answered in order, RFC 2920); it
 * ends at the server's next octets, or at the first close of either side (nobody waits any more).
 * An FTP 1xx answers its command for now: the transfer goes on elsewhere, and the final reply that
 * follows it is not waited for here.
 *
 * The longest silence is what a client's own timeout meets when no fault held a reply back: a server
 * that is slow, loaded, or that stopped serving the session (pyftpdlib 1.5.7 sometimes stops polling a
 * fresh connection: its commands stay unread). Pure: the caller passes the time (performance.now()).
 */
export class ReplyWait {
  /** Steps whose reply is owed and timed. */
  #owed = 0;
  /** Steps a preliminary reply (FTP 1xx) answered for now: their final replies come untimed. */
  #paused = 0;
  /** When the current silence began; undefined while nothing is owed. */
  #since: number | undefined;
  #longest = 0;
  #ended = false;

  /** At `now` the client sent a step (or the relay began, for the greeting): one more reply is owed. */
  asked(now: number): void {
    if (this.#ended) return;
    this.#owed++;
    this.#since ??= now;
  }

  /** At `now` the server's octets came, completing `replies` (each preliminary or not; none: part of one). */
  heard(now: number, replies: readonly { readonly preliminary: boolean }[] = []): void {
    if (this.#since !== undefined) this.#longest = Math.max(this.#longest, now - this.#since);
    for (const { preliminary } of replies) {
      if (preliminary) {
        if (this.#owed > 0) this.#owed--, this.#paused++;
      } else if (this.#paused > 0) this.#paused--;
      else if (this.#owed > 0) this.#owed--;
    }
    this.#since = this.#owed > 0 && !this.#ended ? now : undefined;
  }

  /** A connection of the session closed at `now`: the silence so far counts, and nothing more. */
  ended(now: number): void {
    if (this.#ended) return;
    this.heard(now);
    this.#ended = true;
    this.#since = undefined;
  }

  /** The longest silence so far, ms; one going on counts up to `now`. */
  longestMs(now: number): number {
    return this.#since === undefined ? this.#longest : Math.max(this.#longest, now - this.#since);
  }
}
