/**
 * One-time passwords that every replica agrees on (design B1): the OTP is an
 * HMAC of the host, the instance and the binding's generation under a secret
 * all replicas share. Nothing but FreeIPA (which holds the generation) and
 * that secret is shared, so repeat calls, other replicas and restarted
 * processes hand out the same OTP, and a rebuild (a new generation) a new one.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export const MIN_SECRET_BYTES = 32;

export class OtpSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtpSecretError';
  }
}

export class OtpMinter {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < MIN_SECRET_BYTES) throw new OtpSecretError(`the OTP secret must be at least ${MIN_SECRET_BYTES} bytes`);
    this.#secret = Buffer.from(secret);
  }

  /** Reads the secret file; refuses one that other users may read. */
  static fromFile(path: string): OtpMinter {
    let secret: Buffer;
    try {
      const mode = statSync(path).mode;
      if (mode & 0o007) throw new OtpSecretError(`${path} is readable or writable by others (mode ${(mode & 0o777).toString(8)}); chmod 0400 or 0440 it`);
      secret = readFileSync(path);
    } catch (error) {
      if (error instanceof OtpSecretError) throw error;
      throw new OtpSecretError(`cannot read the OTP secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; create it with: head -c 48 /dev/urandom | base64 > ${path}`);
    }
    return new OtpMinter(Buffer.from(secret.toString('utf8').trim(), 'utf8'));
  }

  /** A process-local secret, for `novajoin dev` and tests. */
  static ephemeral(): OtpMinter {
    return new OtpMinter(randomBytes(48));
  }

  /**
   * Hex, so it survives shells and ipa-client-install's option parser (a
   * password starting with '-' would not). 160 bits.
   */
  mint(fqdn: string, instanceId: string, generation: number): string {
    return createHmac('sha256', this.#secret)
      .update(`novajoin-otp:v1\0${fqdn}\0${instanceId.toLowerCase()}\0${generation}`)
      .digest('hex')
      .slice(0, 40);
  }
}
