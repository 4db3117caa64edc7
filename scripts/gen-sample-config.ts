/**
 * Writes config/join.conf.sample (from the defaults table, through
 * renderSample()) and config/policy.yaml.sample (novajoin 1.1's policy rules
 * with their default check strings, all commented out).
 *
 * Run: npx tsx scripts/gen-sample-config.ts
 */
import { renderSample } from '../src/config/sample.js';
import { isMain, writeGenerated } from './generated.js';

export const JOIN_CONF_SAMPLE = 'config/join.conf.sample';
export const POLICY_SAMPLE = 'config/policy.yaml.sample';

export interface PolicyRule {
  readonly name: string;
  readonly check: string;
  readonly description: string;
}

/**
 * novajoin 1.1's rules (novajoin/policy.py), same names and defaults, so that
 * an operator's policy file keeps its meaning.
 */
export const POLICY_DEFAULTS: readonly PolicyRule[] = [
  { name: 'context_is_admin', check: 'role:admin', description: 'Credentials that count as an administrator.' },
  { name: 'service_project', check: 'project_name:service', description: 'The project the OpenStack service users belong to.' },
  {
    name: 'compute_service_user',
    check: 'user_name:nova and rule:service_project',
    description: "The Nova service user: the one in nova.conf's [vendordata_dynamic_auth], whose token Nova sends.",
  },
  {
    name: 'join:create',
    check: 'rule:compute_service_user',
    description: 'POST /v1/: answer a vendordata request (create or refresh the FreeIPA host, hand out its OTP).',
  },
];

/** A YAML double-quoted scalar; JSON strings are valid YAML. */
export function yamlString(value: string): string {
  return JSON.stringify(value);
}

export function renderPolicySample(): string {
  const out = [
    '# novajoin policy rules: /etc/novajoin/policy.yaml ([DEFAULT] policy_file).',
    '# oslo.policy syntax, the rule names of novajoin 1.1. Every rule is shown',
    '# commented out with its built-in default; uncomment a rule to change it.',
    '# A missing file means the defaults. Matching is on names (user, project),',
    '# as in novajoin 1.1.',
    '',
  ];
  for (const rule of POLICY_DEFAULTS) {
    out.push(`# ${rule.description}`, `#${yamlString(rule.name)}: ${yamlString(rule.check)}`, '');
  }
  return out.join('\n');
}

export function generatedFiles(): Map<string, string> {
  return new Map([
    [JOIN_CONF_SAMPLE, renderSample()],
    [POLICY_SAMPLE, renderPolicySample()],
  ]);
}

if (isMain(import.meta.url)) writeGenerated(generatedFiles());
