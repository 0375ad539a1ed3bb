import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { HourglassError, type KafkaSecurityConfig } from '@hourglass/core';

/** SASL and TLS options in the form kafkajs takes them, with every secret file already read. */
export interface KafkaClientSecurity {
  readonly ssl?: ConnectionOptions | boolean;
  readonly sasl?: SASLOptions;
}

/** A secret or certificate file named in the config that cannot be read; names the path, never content. */
export class SecretFileError extends HourglassError {
  constructor(what: string, path: string, cause: unknown) {
    super('CONFIG_SECRET_UNREADABLE', `cannot read ${what} file ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
}

/**
 * Turns the `security` config into kafkajs options, reading CA, certificate, key and password files.
 * SASL without a `tls` section still uses TLS (SASL_SSL), since sending a password in clear is never
 * what an operator means; set `tls.enabled: false` for SASL_PLAINTEXT on a trusted network.
 */
export function resolveKafkaSecurity(config: KafkaSecurityConfig, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): KafkaClientSecurity {
  const load = (what: string, path: string): string => {
    try {
      return read(path);
    } catch (error) {
      throw new SecretFileError(what, path, error);
    }
  };
  const out: { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } = {};
  const tls = config.tls;
  if (tls ? tls.enabled : config.sasl !== undefined) {
    const options: ConnectionOptions = { rejectUnauthorized: tls?.rejectUnauthorized ?? true };
    if (tls?.caFile) options.ca = [load('TLS CA', tls.caFile)];
    if (tls?.certFile) options.cert = load('TLS certificate', tls.certFile);
    if (tls?.keyFile) options.key = load('TLS key', tls.keyFile);
    if (tls?.keyPassphraseFile) options.passphrase = load('TLS key passphrase', tls.keyPassphraseFile).trim();
    out.ssl = options;
  }
  if (config.sasl) {
    const { mechanism, username } = config.sasl;
    const password = config.sasl.passwordFile !== undefined ? load('SASL password', config.sasl.passwordFile).trim() : config.sasl.password!;
    out.sasl = { mechanism, username, password } as SASLOptions;
  }
  return out;
}
