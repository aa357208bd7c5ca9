import { describe, expect, it } from 'vitest';
import { createPrivateCa } from '../../src/tls/ca.js';
import { eximLauncher } from '../../servers/real/exim.js';
import { postfixLauncher } from '../../servers/real/postfix.js';
import { proftpdLauncher } from '../../servers/real/proftpd.js';
import { pureFtpdLauncher } from '../../servers/real/pure-ftpd.js';
import { certificateKeyType, openSslMaxVersionConf, tlsOffered } from '../../servers/real/tls.js';
import type { RealServerOptions } from '../../servers/real/types.js';
import { vsftpdLauncher } from '../../servers/real/vsftpd.js';

const ALL = [vsftpdLauncher, pureFtpdLauncher, proftpdLauncher, postfixLauncher, eximLauncher];

describe('real servers: TLS options', () => {
  it('every launcher refuses a TLS knob without tls: true, and a bad version or key', () => {
    for (const launcher of ALL) {
      expect(launcher.unsupported({ tlsRequired: true }), launcher.name).toBe('tlsRequired needs tls: true');
      expect(launcher.unsupported({ tlsImplicit: false }), launcher.name).toBe('tlsImplicit needs tls: true');
      expect(launcher.unsupported({ tls: true, tlsMaxVersion: 'SSLv3' as never }), launcher.name).toBe('tlsMaxVersion must be TLSv1.2 or TLSv1.3, got SSLv3');
      expect(launcher.unsupported({ tls: true, tlsCertificate: { cert: 'x', key: 'not a key' } }), launcher.name).toBe(
        'tlsCertificate.key is not a PEM private key',
      );
      expect(launcher.unsupported({ tls: true, tlsRequired: true, tlsMaxVersion: 'TLSv1.2' }), launcher.name).toBeUndefined();
    }
  });

  it('says what each server cannot do: implicit TLS on pure-ftpd, session reuse on pure-ftpd and the MTAs', () => {
    expect(pureFtpdLauncher.unsupported({ tls: true, tlsImplicit: true })).toBe('pure-ftpd has no implicit TLS mode (tlsImplicit)');
    expect(pureFtpdLauncher.unsupported({ tls: true, tlsSessionReuse: true })).toBe('pure-ftpd cannot require TLS session reuse on data connections');
    expect(pureFtpdLauncher.unsupported({ tls: true, tlsSessionReuse: false })).toBeUndefined();
    expect(postfixLauncher.unsupported({ tls: true, tlsSessionReuse: false })).toBe('tlsSessionReuse is an FTP knob; postfix is an SMTP server');
    for (const launcher of [vsftpdLauncher, proftpdLauncher, postfixLauncher, eximLauncher]) {
      expect(launcher.unsupported({ tls: true, tlsImplicit: true }), launcher.name).toBeUndefined();
    }
  });

  it('reports the TLS a handle offers: none without tls, an extra implicit port, or the main port turned implicit', () => {
    const on: RealServerOptions = { tls: true, tlsImplicit: true };
    expect(tlsOffered({}, 21, undefined)).toBeUndefined();
    expect(tlsOffered({ tls: true }, 25, undefined)).toEqual({ explicit: true, required: false });
    expect(tlsOffered({ ...on, tlsRequired: true }, 25, 465)).toEqual({ explicit: true, implicitPort: 465, required: true });
    expect(tlsOffered(on, 990, 990, true)).toEqual({ explicit: false, implicitPort: 990, required: false, requireReuse: true });
  });

  it('knows the private CA key from a self-signed RSA one, and caps OpenSSL by its config', async () => {
    const ca = await createPrivateCa();
    expect(certificateKeyType({ tls: true, tlsCertificate: await ca.issue() })).toBe('ec');
    expect(certificateKeyType({ tls: true })).toBe('rsa');
    expect(openSslMaxVersionConf('TLSv1.2')).toMatch(/^\[wireprobe_system\]\nMaxProtocol = TLSv1\.2$/m);
  });
});
