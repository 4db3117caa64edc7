/**
 * What `novajoin dev` prints once everything runs: where each part listens,
 * the commands to point at it, and a curl that enrolls a host as Nova would.
 */
import { randomUUID } from 'node:crypto';

export interface BannerFacts {
  readonly serverUrl: string;
  readonly notifyLine: string;
  readonly ipaUrl: string;
  readonly passwordFile: string;
  readonly caFile: string;
  readonly confFile: string;
  /** The ipa command's setup with --kerberos, else empty. */
  readonly ipalib: readonly string[];
  readonly computeUrl: string;
  readonly keystoneUrl: string;
}

export function devBanner(f: BannerFacts): string {
  // A new instance at every start: a copied curl from an earlier run cannot collide with this one's hosts.
  const body = JSON.stringify({ 'project-id': 'demo', 'instance-id': randomUUID(), 'image-id': '', hostname: 'vm1', metadata: { ipa_enroll: 'true' } });
  return [
    '',
    '  novajoin dev — NOT FOR PRODUCTION: embedded in-memory FreeIPA, callers not checked with Keystone, no authentication.',
    '',
    `  Vendordata target: ${f.serverUrl}/v1/   (nova.conf: vendordata_dynamic_targets = join@${f.serverUrl}/v1/)`,
    `  Health: ${f.serverUrl}/healthz   Readiness: ${f.serverUrl}/readyz   Metrics: ${f.serverUrl}/metrics`,
    `  Notification listener: ${f.notifyLine}`,
    `  Embedded FreeIPA: ${f.ipaUrl} (user admin, password in ${f.passwordFile}, CA ${f.caFile})`,
    `  Its configuration: ${f.confFile}`,
    `    novajoin check --config-file ${f.confFile}`,
    `    novajoin-notify --config-file ${f.confFile}`,
    `    novajoin resync --config-file ${f.confFile}`,
    ...f.ipalib,
    `  Stand-in Nova: ${f.computeUrl}/servers/detail lists every instance enrolled here (Keystone ${f.keystoneUrl})`,
    `    curl -X DELETE ${f.computeUrl}/servers/<instance-id>   deletes one without a notification, as when one is lost: resync finds its host`,
    '',
    '  Enroll a host as Nova would (the answer is the join payload the guest reads from vendor_data2.json):',
    '',
    `  curl -s -X POST ${f.serverUrl}/v1/ -H 'Content-Type: application/json' \\`,
    `       -d '${body}'`,
    '',
    '  Ask again with the same instance-id: the same OTP comes back and FreeIPA is not written to.',
    '  Ctrl-C stops it; everything is forgotten.',
    '',
  ].join('\n');
}
