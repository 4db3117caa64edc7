/**
 * What a process checks of its configuration before it starts: the files it
 * will read (CA, keytab, secrets) and the options without which every request
 * would fail. They are checked with the file itself, so an operator sees
 * every problem in one run, not one per restart.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Config } from './types.js';

/**
 * freeipa: reaching FreeIPA (URL, CA file); freeipa-login: logging in as the
 * service (keytab or password file); otp-secret: minting OTPs; keystone:
 * validating Nova's tokens; ldap: inventory reads.
 */
export type Need = 'freeipa' | 'freeipa-login' | 'otp-secret' | 'keystone' | 'ldap';

export interface StartupProblem {
  readonly section: string;
  readonly option: string;
  readonly detail: string;
}

/** Fewer bytes and every replica's OTPs are guessable (the minter refuses them too). */
const MIN_SECRET_BYTES = 32;

export function startupProblems(config: Config, needs: readonly Need[]): StartupProblem[] {
  const problems: StartupProblem[] = [];
  const problem = (section: string, option: string, detail: string) => problems.push({ section, option, detail });
  const want = new Set(needs);
  const { freeipa, ldap } = config;

  if (want.has('freeipa')) {
    if (!freeipa.url && freeipa.servers.length === 0 && !freeipa.discover) problem('freeipa', 'server', 'must be set (FreeIPA\'s FQDN), or [freeipa] url');
    if (freeipa.caFile) {
      const text = readable(freeipa.caFile, (detail) => problem('freeipa', 'ca_file', detail));
      if (text !== null && !text.includes('-----BEGIN CERTIFICATE-----')) problem('freeipa', 'ca_file', `${freeipa.caFile} holds no PEM certificate`);
    }
  }
  if (want.has('freeipa-login')) {
    if (freeipa.auth === 'kerberos') {
      // Other credential cache types (KEYRING:, MEMORY:) are the operator's business.
      const path = freeipa.keytab.startsWith('FILE:') ? freeipa.keytab.slice(5) : /^[A-Z]+:/.test(freeipa.keytab) ? null : freeipa.keytab;
      if (path !== null) {
        const keytab = readable(path, (detail) => problem('DEFAULT', 'keytab', `${detail}; \`novajoin ipa-setup\` fetches it`), 'binary');
        if (keytab !== null && keytab.length === 0) problem('DEFAULT', 'keytab', `${path} is empty; \`novajoin ipa-setup --rotate-keytab\` fetches it`);
      }
    } else secretFile(freeipa.passwordFile, 'freeipa', 'password_file', 'auth = password needs it', problem);
  }
  if (want.has('otp-secret')) {
    const file = config.enrollment.otpSecretFile;
    const fix = `create it with: head -c 48 /dev/urandom | base64 > ${file}; chmod 0400`;
    const secret = readable(file, (detail) => problem('DEFAULT', 'otp_secret_file', `${detail}; ${fix}`));
    if (secret !== null) {
      const mode = statSync(file).mode;
      if (mode & 0o007) problem('DEFAULT', 'otp_secret_file', `${file} is readable or writable by others (mode ${(mode & 0o777).toString(8)}); chmod 0400 or 0440 it`);
      const bytes = Buffer.byteLength(secret.trim(), 'utf8');
      if (bytes < MIN_SECRET_BYTES) problem('DEFAULT', 'otp_secret_file', `${file} holds ${bytes} bytes; at least ${MIN_SECRET_BYTES} are needed: ${fix}`);
    }
  }
  if (want.has('keystone') && config.server.authStrategy === 'keystone') {
    const auth = config.keystoneAuthtoken;
    const every = 'with auth_strategy = keystone, every join would be refused without it';
    if (!auth.authUrl) problem('keystone_authtoken', 'auth_url', `must be set (or [service_credentials] auth_url): ${every}`);
    else if (!/^https?:\/\//.test(auth.authUrl)) problem('keystone_authtoken', 'auth_url', `"${auth.authUrl}" is not an http(s) URL`);
    if (!auth.password) problem('keystone_authtoken', 'password', `must be set (or [service_credentials] password): ${every}`);
  }
  // With resync_inventory = api, resync reads through the FreeIPA login and needs nothing of [ldap].
  if (want.has('ldap') && ldap.inventory === 'ldap') {
    if (!ldap.url && ldap.urls.length === 0 && !freeipa.discover) problem('ldap', 'url', 'must be set, or [freeipa] server (then ldaps://<server>)');
    if (ldap.auth === 'simple') {
      // Without a DN the bind would be anonymous, and FreeIPA shows anonymous binds no host.
      if (!ldap.bindDn) problem('ldap', 'bind_dn', 'auth = simple needs bind_dn and bind_password_file (a FreeIPA system account); without them the bind is anonymous and FreeIPA shows it no hosts. Use auth = gssapi (the default) to bind with [DEFAULT] keytab, or auth = anonymous if anonymous reads are really meant');
      else secretFile(ldap.bindPasswordFile, 'ldap', 'bind_password_file', `bind_dn ${ldap.bindDn} needs it`, problem);
    } else if (ldap.auth === 'gssapi' && ldap.bindDn) {
      problem('ldap', 'bind_dn', 'is used with auth = simple only; set [ldap] auth = simple to bind as it, or remove it to bind with GSSAPI and [DEFAULT] keytab');
    }
  }
  return problems;
}

function secretFile(file: string, section: string, option: string, why: string, problem: (s: string, o: string, d: string) => void): void {
  if (!file) return void problem(section, option, `must be set: ${why}`);
  const text = readable(file, (detail) => problem(section, option, detail));
  if (text !== null && text.replace(/\r?\n$/, '') === '') problem(section, option, `${file} is empty`);
}

/** The file's content, or null after reporting why it cannot be read. */
function readable(file: string, report: (detail: string) => void, encoding: 'utf8' | 'binary' = 'utf8'): string | null {
  try {
    return readFileSync(file, encoding);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    report(code === 'ENOENT' ? `${file} does not exist` : code === 'EACCES' ? `${file} is not readable by this user` : `cannot read ${file} (${code ?? String(error)})`);
    return null;
  }
}
