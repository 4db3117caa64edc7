/**
 * The policy of novajoin: named rules (check trees) merged over the built-in
 * defaults, enforced against the caller's credentials the way novajoin 1.1
 * did through oslo.policy (nova-wire.md §2.5).
 */
import { Forbidden } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import type { Caller } from '../../openstack/caller.js';
import { type Check, type Credentials, evaluate } from './checks.js';

/** novajoin's registered defaults (novajoin/policy.py). */
export const DEFAULT_RULES: Readonly<Record<string, string>> = Object.freeze({
  context_is_admin: 'role:admin',
  service_project: 'project_name:service',
  compute_service_user: 'user_name:nova and rule:service_project',
  'join:create': 'rule:compute_service_user',
});

/** oslo.policy's default_rule: used for a rule name that is not defined, when it exists itself. */
export const DEFAULT_RULE_NAME = 'default';

export class Policy {
  private readonly warned = new Set<string>();
  private readonly logger: Logger;

  constructor(
    private readonly rules: ReadonlyMap<string, Check>,
    /** Where the rules came from, for log lines: a file, or "defaults". */
    readonly source: string,
    logger?: Logger,
  ) {
    this.logger = logger ?? silentLogger();
  }

  /** Whether `creds` pass rule `name`. An unknown rule is false (or `default`), logged once. */
  enforce(name: string, creds: Credentials): boolean {
    const check = this.resolve(name);
    return check ? evaluate(check, creds, (reference) => this.resolve(reference)) : false;
  }

  /** Throws Forbidden unless `creds` pass rule `name`. */
  authorize(name: string, creds: Credentials): void {
    if (!this.enforce(name, creds)) {
      // oslo.policy's PolicyNotAuthorized wording, which operators search for.
      throw new Forbidden(`Policy doesn't allow ${name} to be performed.`);
    }
  }

  /**
   * authorize() for a validated caller: the `Authorize` shape of
   * src/http/authenticate.ts, bound so it can be passed as is.
   */
  readonly authorizeCaller = (name: string, caller: Caller): void => {
    this.authorize(name, this.credentials(caller));
  };

  /**
   * The credentials oslo.context gives novajoin's enforcer: to_dict()'s
   * ids and names and roles, and is_admin from `context_is_admin`; as in
   * oslo.context, an admin context carries the `admin` role.
   */
  credentials(caller: Caller): Credentials {
    const base = {
      user_id: caller.userId,
      user_name: caller.userName,
      user_domain_id: caller.userDomainId,
      project_id: caller.projectId,
      project_name: caller.projectName,
      project_domain_id: caller.projectDomainId,
      roles: [...caller.roles],
      is_admin_project: caller.isAdminProject,
    };
    const isAdmin = this.enforce('context_is_admin', { ...base, is_admin: false });
    const roles = isAdmin && !base.roles.includes('admin') ? [...base.roles, 'admin'] : base.roles;
    return { ...base, roles, is_admin: isAdmin };
  }

  has(name: string): boolean {
    return this.rules.has(name);
  }

  get names(): string[] {
    return [...this.rules.keys()];
  }

  /** Logs, once per name, that a rule is not defined (and so denies). */
  warnUndefined(name: string, referencedBy?: string): void {
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.logger.warn('policy rule is not defined; checks of it deny', { rule: name, referencedBy, policy: this.source });
  }

  private resolve(name: string): Check | undefined {
    const check = this.rules.get(name) ?? (name === DEFAULT_RULE_NAME ? undefined : this.rules.get(DEFAULT_RULE_NAME));
    if (!check) this.warnUndefined(name);
    return check;
  }
}
