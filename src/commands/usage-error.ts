/** Bad input from the user: reported as one line naming the bad value, exit code 2, no stack. */
export class UsageError extends Error {
  readonly code = 'EUSAGE';
}
