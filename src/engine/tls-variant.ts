/**
 * `--tls none|starttls|implicit|all`: TLS as a dimension of a run, as `--family` is. Each variant is a
 * run of its own; a plaintext scenario runs again with the client required to start TLS (SMTP: RFC 3207
 * STARTTLS or RFC 8314 §3.3 implicit TLS; FTP: RFC 4217 AUTH TLS with PROT P, or implicit FTPS) and to
 * verify the proxy's certificate against the run's CA: the realistic set-up. The cell keeps the plaintext scenario's expectation, as an IPv6 cell keeps IPv4's.
 */
import type { TlsStart } from '../clients/tls-mode.js';
import type { Scenario } from './types.js';

/** A TLS variant of a run: the client's TLS starts never, after STARTTLS, or from the first octet. */
export type TlsVariant = TlsStart;

/** The variants `--tls all` stands for, in the order the matrix shows them. */
export const TLS_VARIANTS: readonly TlsVariant[] = ['none', 'starttls', 'implicit'];

/**
 * The variants `scenario` runs in, each as a run's `tls`. None asked for: one run with none (nothing
 * changes). A scenario that sets its own `tls` (suites smtp/tls, ftp/tls) has no variants: one run, as
 * without `--tls`, so no extra cells.
 */
export function tlsVariantsOf(scenario: Scenario, variants: readonly TlsVariant[] | undefined): readonly { readonly tls?: TlsVariant }[] {
  if (!variants?.length || !hasTlsVariants(scenario)) return [{}];
  return variants.map((tls) => ({ tls }));
}

/** Whether `scenario` runs in TLS variants: plaintext of its own. */
export function hasTlsVariants(scenario: Scenario): boolean {
  return (scenario.tls ?? 'none') === 'none';
}

/**
 * The scenario a run in `variant` runs: `starttls` as `starttls-verify`, `implicit` as `implicit-verify`
 * (the client trusts the run's CA); `none` or no variant: the scenario itself.
 */
export function withTlsVariant(scenario: Scenario, variant: TlsVariant | undefined): Scenario {
  if (variant === undefined || variant === 'none' || !hasTlsVariants(scenario)) return scenario;
  return { ...scenario, tls: variant === 'starttls' ? 'starttls-verify' : 'implicit-verify' };
}

/** The column's suffix for a variant: `/starttls`, `/tls` (implicit), none for plaintext. */
export function tlsSuffix(variant: TlsVariant | undefined): string {
  return variant === 'starttls' ? '/starttls' : variant === 'implicit' ? '/tls' : '';
}
