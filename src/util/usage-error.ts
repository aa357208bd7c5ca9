import { WireprobeError } from './errors.js';

/** Bad input from the user: reported as one line naming the bad value, exit code 2, no stack. */
export class UsageError extends WireprobeError<'EUSAGE'> {
  constructor(message: string) {
    super(message, 'EUSAGE');
  }
}
