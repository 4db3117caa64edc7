/**
 * The join.conf the benchmark's novajoin-server and novajoin-notify read:
 * production options (Keystone validation, policy defaults, password login
 * to FreeIPA over verified TLS), pointed at the test servers, written to the
 * run's private directory with the secrets in 0600 files.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchIpa } from './ipa.js';

export interface BenchConfigOptions {
  readonly dir: string;
  readonly port: number;
  readonly ipa: BenchIpa;
  readonly keystoneUrl: string;
  readonly keystoneUser: string;
  readonly keystonePassword: string;
  /** File name inside dir; join.conf by default. */
  readonly file?: string;
  /** [freeipa] max_concurrency; absent: the shipped default. */
  readonly ipaConcurrency?: number | undefined;
  readonly notifications: {
    /** Prefix of the listener's own queues (retry delay queues). */
    readonly retryQueuePrefix: string;
    readonly queueType?: 'classic' | 'quorum' | undefined;
    readonly deadLetterQueue: string;
    readonly exchange: string;
    readonly topic: string;
    readonly prefetch?: number | undefined;
  };
}

export function writeBenchConfig(opts: BenchConfigOptions): string {
  const otpFile = join(opts.dir, 'otp.key');
  writeFileSync(otpFile, `${randomBytes(48).toString('base64')}\n`, { mode: 0o600 });
  const passwordFile = join(opts.dir, 'ipa.password');
  writeFileSync(passwordFile, `${opts.ipa.password}\n`, { mode: 0o600 });
  const file = join(opts.dir, opts.file ?? 'join.conf');
  const credentials = [
    `auth_url = ${opts.keystoneUrl}`,
    `username = ${opts.keystoneUser}`,
    `password = ${opts.keystonePassword}`,
    'project_name = service',
  ];
  const text = [
    '[DEFAULT]',
    'join_listen = 127.0.0.1',
    `join_listen_port = ${opts.port}`,
    'auth_strategy = keystone',
    `domain = ${opts.ipa.domain}`,
    `otp_secret_file = ${otpFile}`,
    // Absent on purpose: the built-in policy defaults (join:create = user nova in project service).
    `policy_file = ${join(opts.dir, 'policy.yaml')}`,
    'log_format = json',
    'transport_url = rabbit://guest:guest@127.0.0.1:5672/',
    '',
    '[freeipa]',
    `server = ${opts.ipa.serverName}`,
    `url = ${opts.ipa.url}`,
    `realm = ${opts.ipa.realm}`,
    `ca_file = ${opts.ipa.caFile}`,
    'auth = password',
    `user = ${opts.ipa.user}`,
    `password_file = ${passwordFile}`,
    ...(opts.ipaConcurrency !== undefined ? [`max_concurrency = ${opts.ipaConcurrency}`] : []),
    '',
    '[notifications]',
    `retry_queue_prefix = ${opts.notifications.retryQueuePrefix}`,
    ...(opts.notifications.queueType !== undefined ? [`queue_type = ${opts.notifications.queueType}`] : []),
    `dead_letter_queue = ${opts.notifications.deadLetterQueue}`,
    `exchanges = ${opts.notifications.exchange}`,
    `topics = ${opts.notifications.topic}`,
    ...(opts.notifications.prefetch !== undefined ? [`prefetch = ${opts.notifications.prefetch}`] : []),
    'health_file =',
    'metrics_port = 0',
    '',
    '[service_credentials]',
    ...credentials,
    '',
    '[keystone_authtoken]',
    ...credentials,
    '',
  ].join('\n');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}
