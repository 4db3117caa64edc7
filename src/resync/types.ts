/**
 * What resync reports and does. Every item names a host and the instance its
 * binding (B2) names; `action` says what --apply does with it, always through
 * the code the notification listener runs (InstanceLifecycle).
 */
import type { WriteOp } from '../domain/ports.js';

export type PlanAction =
  /** InstanceLifecycle.deleted: the host, its DNS, its subhosts, services nobody else manages. */
  | 'delete-host'
  /** InstanceLifecycle.updated: services, subhosts and host attributes follow the metadata. */
  | 'update-host'
  /** A subhost whose instance and host are both gone: removed as planRemovals removes a deleted instance's subhosts. */
  | 'delete-subhost'
  /** Nothing resync may decide: an operator has to (the reason says what). */
  | 'none';

interface ItemBase {
  readonly fqdn: string;
  /** The instance the host's binding names. */
  readonly instanceId: string;
  readonly projectId: string;
  readonly action: PlanAction;
  /** One line for people. */
  readonly detail: string;
}

/** A host whose instance Nova no longer has. */
export interface StaleHostItem extends ItemBase {
  readonly kind: 'stale-host';
}

/** A host handed an OTP longer than stale_otp_age ago and never enrolled. */
export interface StaleOtpItem extends ItemBase {
  readonly kind: 'stale-otp';
  readonly issuedAt: string;
  readonly ageSeconds: number;
}

/** The name a server asks for is held by a host bound to another instance (or a subhost). */
export interface ConflictItem extends ItemBase {
  readonly kind: 'conflict';
  readonly wantedBy: { readonly instanceId: string; readonly projectId: string };
  /** The holder's instance still exists in Nova. */
  readonly holderExists: boolean;
}

/** Services, subhosts or host attributes differ from what the instance's metadata asks for. */
export interface DriftItem extends ItemBase {
  readonly kind: 'drift';
  readonly changes: readonly WriteOp[];
  /** Service requests policy refuses (logged, not acted on; not drift by themselves). */
  readonly refused: readonly { readonly source: string; readonly reason: string }[];
}

/** A subhost bound to an instance that is gone and has no host left. */
export interface OrphanSubhostItem extends ItemBase {
  readonly kind: 'orphan-subhost';
}

export type PlanItem = StaleHostItem | StaleOtpItem | ConflictItem | DriftItem | OrphanSubhostItem;
export type PlanKind = PlanItem['kind'];

export interface PlanSummary {
  /** Hosts bound to instances (kind host) in FreeIPA. */
  readonly hosts: number;
  readonly subhosts: number;
  readonly servers: number;
  /** Servers that ask to enroll. */
  readonly enrolling: number;
  /** Of those, servers with no host and no conflict: nothing resync can do (their guest has not asked, or asked elsewhere). */
  readonly notEnrolled: number;
  /** Servers whose name cannot be computed (bad hostname, unknown project), with why. */
  readonly unnamed: number;
  readonly byKind: Readonly<Record<PlanKind, number>>;
}

export interface ResyncPlan {
  readonly items: readonly PlanItem[];
  readonly summary: PlanSummary;
  /** Servers skipped with the reason, for --json and the log. */
  readonly skipped: readonly { readonly instanceId: string; readonly reason: string }[];
}

export type ItemOutcome = 'applied' | 'unchanged' | 'skipped' | 'failed';

export interface ItemResult {
  readonly item: PlanItem;
  readonly outcome: ItemOutcome;
  readonly message?: string;
}
