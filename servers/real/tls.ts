/**
 * The TLS options of a real server (RealServerOptions `tls*`), checked against what each server can do,
 * and the TLS its handle reports (RealServerHandle `tls`). Launchers write the settings themselves; this
 * file only says which combinations make sense, so every launcher refuses the same ones the same way.
 */
import { createPrivateKey } from 'node:crypto';
import type { RealServerOptions, RealServerTls } from './types.js';

/** What one server's TLS can be asked for. */
export interface TlsAbilities {
  /** `extra-port`: an implicit listener beside the main one; `instead`: the main port becomes implicit; `none`. */
  readonly implicit: 'extra-port' | 'instead' | 'none';
  /** FTP: the session-reuse requirement can be `both` on and off, or is `never` there (pure-ftpd); SMTP: `n/a`. */
  readonly reuse: 'both' | 'never' | 'n/a';
}

/** Why `options`' TLS knobs cannot be honoured by a server with `abilities` (`name` for the message), or undefined. */
export function tlsUnsupported(name: string, options: RealServerOptions, abilities: TlsAbilities): string | undefined {
  const knobs = (['tlsCertificate', 'tlsImplicit', 'tlsRequired', 'tlsSessionReuse', 'tlsMaxVersion'] as const).filter((knob) => options[knob] !== undefined);
  if (options.tls !== true && knobs.length > 0) return `${knobs[0]} needs tls: true`;
  if (options.tlsImplicit === true && abilities.implicit === 'none') return `${name} has no implicit TLS mode (tlsImplicit)`;
  if (options.tlsSessionReuse !== undefined && abilities.reuse === 'n/a') return `tlsSessionReuse is an FTP knob; ${name} is an SMTP server`;
  if (options.tlsSessionReuse === true && abilities.reuse === 'never') return `${name} cannot require TLS session reuse on data connections`;
  if (options.tlsMaxVersion !== undefined && !['TLSv1.2', 'TLSv1.3'].includes(options.tlsMaxVersion))
    return `tlsMaxVersion must be TLSv1.2 or TLSv1.3, got ${options.tlsMaxVersion}`;
  if (options.tlsCertificate) {
    try {
      createPrivateKey(options.tlsCertificate.key);
    } catch {
      return 'tlsCertificate.key is not a PEM private key';
    }
  }
  return undefined;
}

/** The key type of the certificate a server presents: `ec` for the private CA's P-256 keys, `rsa` for the self-signed one. */
export function certificateKeyType(options: RealServerOptions): 'ec' | 'rsa' {
  return options.tlsCertificate && createPrivateKey(options.tlsCertificate.key).asymmetricKeyType === 'ec' ? 'ec' : 'rsa';
}

/**
 * The handle's `tls` for a server started with `options` on `port`: undefined without `tls`. `implicitPort`:
 * the extra listener's port (Postfix, Exim); a server whose main port turns implicit passes `port`.
 * `requireReuse`: FTP only, what the server enforces.
 */
export function tlsOffered(options: RealServerOptions, port: number, implicitPort: number | undefined, requireReuse?: boolean): RealServerTls | undefined {
  if (options.tls !== true) return undefined;
  const explicit = !(options.tlsImplicit === true && implicitPort === port);
  return {
    explicit,
    ...(options.tlsImplicit === true && implicitPort !== undefined ? { implicitPort } : {}),
    required: options.tlsRequired === true,
    ...(requireReuse === undefined ? {} : { requireReuse }),
  };
}

/**
 * An OpenSSL config file's text capping every TLS context of the process that loads it (OPENSSL_CONF;
 * OpenSSL 3 reads it at init, its `system_default` section applies to each SSL_CTX): for servers
 * without a protocol setting of their own (vsftpd 3.0.3, pure-ftpd).
 */
export function openSslMaxVersionConf(version: 'TLSv1.2' | 'TLSv1.3'): string {
  return [
    'openssl_conf = wireprobe_init',
    '[wireprobe_init]',
    'ssl_conf = wireprobe_ssl',
    '[wireprobe_ssl]',
    'system_default = wireprobe_system',
    '[wireprobe_system]',
    `MaxProtocol = ${version}`,
    '',
  ].join('\n');
}
