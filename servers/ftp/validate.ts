/** The mock FTP server's options that its defaults cannot make valid: checked once, at start. */
import { isIPv4 } from 'node:net';

/** The options validate reads (a structural slice of FtpServerOptions with defaults applied). */
interface Checked {
  readonly pasvRange: readonly [number, number];
  readonly pasvAddress: string;
  readonly dataIdleTimeoutMs: number;
  readonly keep: number;
  readonly truncateUploadsAt: number;
}

/** Validates what the defaults cannot fix. */
export function validate(o: Checked): void {
  const [min, max] = o.pasvRange;
  const anyPort = min === 0 && max === 0;
  if (!anyPort && !(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && min <= max && max <= 65535)) {
    throw new RangeError(`pasvRange must be [0, 0] or [min, max] with 1 <= min <= max <= 65535, got [${min}, ${max}]`);
  }
  if (o.pasvAddress !== '' && !isIPv4(o.pasvAddress)) throw new TypeError(`pasvAddress must be IPv4 (227 carries IPv4 only), got ${o.pasvAddress}`);
  if (!(Number.isSafeInteger(o.dataIdleTimeoutMs) && o.dataIdleTimeoutMs >= 0))
    throw new RangeError(`dataIdleTimeoutMs must be a whole number of ms (0: never), got ${o.dataIdleTimeoutMs}`);
  if (!(o.keep >= 0 && (Number.isSafeInteger(o.keep) || o.keep === Number.POSITIVE_INFINITY)))
    throw new RangeError(`keep must be a whole number of uploads or Infinity, got ${o.keep}`);
  if (!(Number.isSafeInteger(o.truncateUploadsAt) && o.truncateUploadsAt >= 0))
    throw new RangeError(`truncateUploadsAt must be a whole number of octets (0: off), got ${o.truncateUploadsAt}`);
}
