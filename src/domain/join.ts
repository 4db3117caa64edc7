/**
 * The join flow (design flow 1): decide, ask FreeIPA as few times as the
 * answer allows, answer.
 * - A first join (an instance this process has not answered) is one round
 *   trip in the common case: host_add with the binding and the OTP, and the
 *   reads the plan needs, in one batch. When the host is already there
 *   (DuplicateEntry: another replica, or a repeat after a restart) the reads
 *   in the same batch say what to do, as a read-then-decide would.
 * - A repeat is answered from memory for a while (recent-joins.ts), then
 *   with one read.
 * B1: the OTP is derived, so repeats write nothing and agree across replicas.
 * B2: a host bound to another instance is a conflict. B3: a host with neither
 * keys nor OTP (disabled after a rebuild) gets a new OTP generation.
 */
import { Forbidden, HostConflict, InvalidRequest } from '../errors.js';
import { EntryConflict, InvalidValue, WriteOutcomeUnknown } from './errors.js';
import type { Logger } from '../log/logger.js';
import { formatBinding } from './binding.js';
import { needsProjectName } from './hostname.js';
import { enrollFlag } from './metadata.js';
import { desiredEnrollment, type DesiredEnrollment, type EnrollmentPolicy, type InstanceFacts } from './model.js';
import type { OtpMinter } from './otp.js';
import { hostOwnership, nextBinding, planServiceAdds, type Owner } from './plan.js';
import type { Directory, ImageLookup, ProjectLookup, ReadQuery, ReadResult, Urgency, WriteOp } from './ports.js';
import { RecentJoins, type RecentKey } from './recent-joins.js';

export interface JoinRequest {
  readonly instanceId: string;
  readonly projectId: string;
  /** "" for boot from volume: no Glance call. */
  readonly imageId: string;
  /** Validated Nova hostname. */
  readonly hostname: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export type JoinOutcome = 'not_requested' | 'created' | 'waiting' | 'enrolled' | 'reissued' | 'conflict';

export type JoinAnswer = Record<string, never> | { hostname: string; krb_realm: string; ipaotp?: string };

export interface JoinResult {
  readonly outcome: JoinOutcome;
  readonly answer: JoinAnswer;
  /** Write operations sent to FreeIPA for this call. */
  readonly writes: number;
  /** Service requests that were refused or failed, for the log. */
  readonly problems: readonly { source: string; reason: string }[];
  /** Answered from memory, without asking FreeIPA. */
  readonly cached?: boolean;
}

export interface JoinDependencies {
  readonly directory: Directory;
  readonly images: ImageLookup;
  readonly projects: ProjectLookup;
  readonly otp: OtpMinter;
  readonly policy: EnrollmentPolicy;
  readonly logger: Logger;
  readonly now?: () => number;
  /** How long a repeat is answered from memory (recent-joins.ts); 0 or absent: never. */
  readonly answerTtlMs?: number;
}

export class JoinService {
  readonly #deps: JoinDependencies;
  readonly #inFlight = new Map<string, Promise<JoinResult>>();
  readonly #now: () => number;
  readonly #recent: RecentJoins;

  constructor(deps: JoinDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#recent = new RecentJoins({ ttlMs: deps.answerTtlMs ?? 0, now: this.#now });
  }

  /**
   * Identical concurrent requests (Nova asks five times per config drive)
   * share one execution: one FreeIPA read, at most one write.
   */
  join(request: JoinRequest, deadline: number, logger: Logger = this.#deps.logger): Promise<JoinResult> {
    const key = JSON.stringify([request.instanceId, request.projectId, request.imageId, request.hostname, request.metadata]);
    const running = this.#inFlight.get(key);
    if (running) return running;
    const promise = this.#join(request, deadline, logger).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return promise;
  }

  async #join(request: JoinRequest, deadline: number, logger: Logger): Promise<JoinResult> {
    const { images, policy } = this.#deps;
    const flag = enrollFlag(request.metadata);
    if (flag === false) return notRequested();
    // Glance says whether to enroll when the instance does not, and gives
    // os_distro/os_version either way; Keystone's project name runs beside it.
    const imageLookup = request.imageId === '' ? Promise.resolve(null) : images.imageProperties(request.imageId, deadline);
    if (flag === null) {
      const properties = await imageLookup;
      if (!properties || enrollFlag(properties) !== true) return notRequested();
    }
    const [imageProperties, projectName] = await Promise.all([
      imageLookup.catch((error: unknown) => {
        logger.warn('image lookup failed; enrolling without nsosversion', { instance: request.instanceId, error: String(error) });
        return null;
      }),
      this.#projectName(request, deadline, logger),
    ]);
    const facts: InstanceFacts = { ...request, projectName, imageProperties };
    const desired = desiredEnrollment(facts, policy);
    if (desired.refusedHostClass !== null) {
      throw new Forbidden(`host class "${desired.refusedHostClass}" is not allowed for project ${projectName ?? request.projectId}`);
    }
    await this.#checkLength(desired.fqdn, deadline);
    const owner: Owner = { instanceId: request.instanceId, projectId: request.projectId };
    const key: RecentKey = { ...owner, fqdn: desired.fqdn };
    const fingerprint = JSON.stringify([request.imageId, request.hostname, request.metadata]);
    const recent = this.#recent.lookup(key, fingerprint);
    if (recent.answer) return { outcome: 'waiting', answer: recent.answer, writes: 0, problems: [], cached: true };
    const result = await this.#ask(desired, owner, recent.seen, deadline, logger);
    this.#recent.remember(key, fingerprint, result.outcome === 'created' || result.outcome === 'waiting' || result.outcome === 'reissued' ? result.answer : null);
    return result;
  }

  async #ask(desired: DesiredEnrollment, owner: Owner, seen: boolean, deadline: number, logger: Logger): Promise<JoinResult> {
    try {
      return seen ? await this.#enroll(desired, owner, deadline, logger, 'repeat') : await this.#firstJoin(desired, owner, deadline, logger);
    } catch (error) {
      // Another replica created the host, or the guest enrolled, between our
      // read and our write, or the answer to our write was lost (a FreeIPA
      // server failed; the client does not resend it): read again once and
      // answer from what is there now. The OTP is derived, so a write that
      // did run gives the same answer. A first join stays one on that read:
      // its guest has no answer yet, so it must not be shed as a repeat.
      if (
        error instanceof EntryConflict ||
        error instanceof WriteOutcomeUnknown ||
        (error instanceof InvalidValue && error.field === 'password')
      ) {
        return this.#enroll(desired, owner, deadline, logger, seen ? 'repeat' : 'first-join');
      }
      // When the limit could not be learnt beforehand, FreeIPA's refusal is still the caller's problem.
      if (error instanceof InvalidValue && error.field === 'hostname') {
        throw new InvalidRequest(`FreeIPA refused the host name ${desired.fqdn}: ${error.message}`, 'hostname');
      }
      throw error;
    }
  }

  /** FreeIPA refuses an FQDN longer than its ipamaxhostnamelength: say so before asking it anything. */
  async #checkLength(fqdn: string, deadline: number): Promise<void> {
    const limit = await this.#deps.directory.maxHostnameLength(deadline);
    if (limit !== null && fqdn.length > limit) {
      throw new InvalidRequest(
        `the host name ${fqdn} is ${fqdn.length} characters; FreeIPA accepts at most ${limit} (its ipamaxhostnamelength)`,
        'hostname',
      );
    }
  }

  async #projectName(request: JoinRequest, deadline: number, logger: Logger): Promise<string | null> {
    const { projects, policy } = this.#deps;
    const wanted =
      needsProjectName(policy.naming) ||
      'ipa_hostclass' in request.metadata ||
      Object.keys(request.metadata).some((k) => k.startsWith('managed_service_') || k.startsWith('compact_service'));
    if (!wanted) return null;
    if (needsProjectName(policy.naming)) return projects.projectName(request.projectId, deadline);
    // For policy only: a project section may also be named by id.
    return projects.projectName(request.projectId, deadline).catch((error: unknown) => {
      logger.warn('project lookup failed; using the project id for policy', { project: request.projectId, error: String(error) });
      return null;
    });
  }

  /**
   * Optimistic: create the host, and read what the plan needs, in one round
   * trip. The read runs after host_add, so it sees the new host as waiting
   * with the OTP just set; when host_add is refused because the host exists,
   * the read is what decides, as for a repeat.
   */
  async #firstJoin(desired: DesiredEnrollment, owner: Owner, deadline: number, logger: Logger): Promise<JoinResult> {
    const binding = nextBinding(owner, null, this.#now());
    const password = this.#deps.otp.mint(desired.fqdn, owner.instanceId, binding.generation);
    const addHost: WriteOp = { op: 'addHost', fqdn: desired.fqdn, otp: password, description: formatBinding(binding), ...desired.attributes };
    const { writes, read } = await this.#deps.directory.writeAndRead([addHost], queryFor(desired), deadline, { urgency: 'first-join' });
    const added = writes[0];
    if (added && !added.ok && !(added.error instanceof EntryConflict)) throw added.error;
    const result = await this.#decide(desired, owner, read, deadline, logger);
    if (!added?.ok) return result;
    return { ...result, outcome: 'created', writes: result.writes + 1 };
  }

  /** Read, then decide: repeats, and a first join whose host appeared in between. */
  async #enroll(desired: DesiredEnrollment, owner: Owner, deadline: number, logger: Logger, urgency: Urgency): Promise<JoinResult> {
    const read = await this.#deps.directory.read(queryFor(desired), deadline, { urgency });
    return this.#decide(desired, owner, read, deadline, logger);
  }

  async #decide(desired: DesiredEnrollment, owner: Owner, read: ReadResult, deadline: number, logger: Logger): Promise<JoinResult> {
    const { directory, otp } = this.#deps;
    const host = read.hosts.get(desired.fqdn) ?? null;
    const ownership = hostOwnership(host, owner);
    if (ownership === 'other-instance' || ownership === 'foreign') {
      logger.warn('host name is bound to another instance; no OTP', { fqdn: desired.fqdn, instance: owner.instanceId, project: owner.projectId, owner: host?.binding ?? 'not created by novajoin' });
      throw new HostConflict(`host ${desired.fqdn} belongs to another instance`);
    }

    const services = planServiceAdds(desired, read, owner);
    const ops: WriteOp[] = [];
    let outcome: JoinOutcome;
    let password: string | undefined;
    if (!host) {
      const binding = nextBinding(owner, null, this.#now());
      password = otp.mint(desired.fqdn, owner.instanceId, binding.generation);
      ops.push({ op: 'addHost', fqdn: desired.fqdn, otp: password, description: formatBinding(binding), ...desired.attributes });
      outcome = 'created';
    } else if (host.hasPassword && host.binding?.kind === 'host') {
      password = otp.mint(desired.fqdn, owner.instanceId, host.binding.generation);
      outcome = 'waiting';
    } else if (host.hasKeytab) {
      outcome = 'enrolled';
    } else {
      const binding = nextBinding(owner, host.binding?.kind === 'host' ? host.binding : null, this.#now());
      password = otp.mint(desired.fqdn, owner.instanceId, binding.generation);
      ops.push({ op: 'setOtp', fqdn: desired.fqdn, otp: password, description: formatBinding(binding) });
      outcome = 'reissued';
    }
    ops.push(...services.ops);
    const problems = [...desired.refused, ...services.refused];
    if (ops.length > 0) problems.push(...(await this.#write(ops, desired.fqdn, deadline)));

    const answer: JoinAnswer = { hostname: desired.fqdn, krb_realm: directory.realm };
    if (password !== undefined) answer.ipaotp = password;
    return { outcome, answer, writes: ops.length, problems };
  }

  /** Writes; a failure of the host's own operation fails the join, a service's does not. */
  async #write(ops: WriteOp[], hostFqdn: string, deadline: number): Promise<{ source: string; reason: string }[]> {
    const results = await this.#deps.directory.write(ops, deadline);
    const problems: { source: string; reason: string }[] = [];
    results.forEach((result, i) => {
      const op = ops[i]!;
      if (result.ok) return;
      if ((op.op === 'addHost' || op.op === 'setOtp') && op.fqdn === hostFqdn) throw result.error;
      problems.push({ source: describe(op), reason: `${result.error.directoryName}: ${result.error.message}` });
    });
    return problems;
  }
}

function queryFor(desired: DesiredEnrollment): ReadQuery {
  return { hosts: [desired.fqdn, ...desired.subhosts.map((s) => s.fqdn)], services: desired.services.map((s) => s.principal) };
}

function notRequested(): JoinResult {
  return { outcome: 'not_requested', answer: {}, writes: 0, problems: [] };
}

function describe(op: WriteOp): string {
  return 'principal' in op ? `${op.op} ${op.principal}` : `${op.op} ${op.fqdn}`;
}
