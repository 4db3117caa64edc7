/** The oslo.policy subset novajoin needs: see parser.ts, checks.ts, load.ts. */
export type { Check, Credentials } from './checks.js';
export { PolicyError } from './errors.js';
export { loadPolicy, policyFromRules } from './load.js';
export { CheckSyntaxError, parseCheck } from './parser.js';
export { DEFAULT_RULES, Policy } from './policy.js';
