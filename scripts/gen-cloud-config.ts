/**
 * Writes config/cloud-config-novajoin.json, the file operators give Nova's
 * StaticJSON vendordata provider ([api] vendordata_jsonfile_path), from the
 * readable guest script config/guest/novajoin-enroll.sh.
 *
 * The cloud-config only writes the script into cloud-init's per-instance
 * scripts directory (root only, 0700); cloud-init's scripts-per-instance
 * module runs it once per instance. No runcmd: cloud-init merges vendor data
 * under user data, and a user-data runcmd replaces the vendor one
 * (novajoin 1.1's enrollment silently vanished for any user with a runcmd).
 *
 * Run: npx tsx scripts/gen-cloud-config.ts
 */
import { readFileSync } from 'node:fs';
import { writeGenerated, isMain, REPO } from './generated.js';

export const GUEST_SCRIPT = 'config/guest/novajoin-enroll.sh';
export const CLOUD_CONFIG = 'config/cloud-config-novajoin.json';
/** Where cloud-init finds per-instance scripts on every distribution. */
export const GUEST_SCRIPT_PATH = '/var/lib/cloud/scripts/per-instance/novajoin-enroll';

export function renderCloudConfigYaml(script: string): string {
  if (/\t/.test(script)) throw new Error(`${GUEST_SCRIPT}: tabs cannot go into a YAML block scalar`);
  const body = script
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => (line === '' ? '' : `      ${line}`))
    .join('\n');
  return [
    '#cloud-config',
    '# novajoin: enrolls this instance in FreeIPA when novajoin gave it a one-time',
    '# password ("join" in vendor_data2.json). Instances that did not ask to enroll',
    '# (ipa_enroll) get no OTP and the script exits without doing anything.',
    '# Progress, never the OTP, is logged to /var/log/novajoin-enroll.log.',
    'write_files:',
    `  - path: ${GUEST_SCRIPT_PATH}`,
    '    owner: root:root',
    "    permissions: '0700'",
    '    content: |',
    body,
    '',
  ].join('\n');
}

export function renderCloudConfigJson(script: string): string {
  return `${JSON.stringify({ 'cloud-init': renderCloudConfigYaml(script) }, null, 2)}\n`;
}

export function generatedFiles(): Map<string, string> {
  const script = readFileSync(`${REPO}/${GUEST_SCRIPT}`, 'utf8');
  return new Map([[CLOUD_CONFIG, renderCloudConfigJson(script)]]);
}

if (isMain(import.meta.url)) writeGenerated(generatedFiles());
