/**
 * Who called us, as Keystone vouches for it: the port the HTTP layer and the
 * policy engine use, whatever validates the token (Keystone, or nothing in
 * `novajoin dev`).
 */
import type { AccessRule } from './access-rules.js';

export interface Caller {
  readonly userId: string;
  readonly userName: string;
  readonly userDomainId: string;
  readonly projectId: string;
  readonly projectName: string;
  readonly projectDomainId: string;
  /** Role names as Keystone spells them (policy compares them case-insensitively). */
  readonly roles: readonly string[];
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** `token.is_admin_project`; Keystone omits it when true. */
  readonly isAdminProject: boolean;
  /** The application credential's access rules; absent when the token is not restricted by any. */
  readonly accessRules?: readonly AccessRule[];
}

export interface TokenValidator {
  /** Resolves the caller, or throws Unauthorized (bad token) or DependencyUnavailable (Keystone). */
  validate(token: string, signal?: AbortSignal): Promise<Caller>;
  /** The caller when the token is validated and cached, else null: no timer, no await on the hot path. */
  cached?(token: string): Caller | null;
}
