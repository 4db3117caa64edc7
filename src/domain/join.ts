/**
 * The join flow (design flow 1): decide, read FreeIPA once, write once, answer.
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
import type { Directory, ImageLookup, ProjectLookup, WriteOp } from './ports.js';

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
}

export interface JoinDependencies {
  readonly directory: Directory;
  readonly images: ImageLookup;
  readonly projects: ProjectLookup;
  readonly otp: OtpMinter;
  readonly policy: EnrollmentPolicy;
  readonly logger: Logger;
  readonly now?: () => number;
}

export class JoinService {
  readonly #deps: JoinDependencies;
  readonly #inFlight = new Map<string, Promise<JoinResult>>();
  readonly #now: () => number;

  constructor(deps: JoinDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
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
    try {
      return await this.#enroll(desired, owner, deadline, logger);
    } catch (error) {
      // Another replica created the host, or the guest enrolled, between our
      // read and our write, or the answer to our write was lost (a FreeIPA
      // server failed; the client does not resend it): read again once and
      // answer from what is there now. The OTP is derived, so a write that
      // did run gives the same answer.
      if (
        error instanceof EntryConflict ||
        error instanceof WriteOutcomeUnknown ||
        (error instanceof InvalidValue && error.field === 'password')
      ) {
        return this.#enroll(desired, owner, deadline, logger);
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

  async #enroll(desired: DesiredEnrollment, owner: Owner, deadline: number, logger: Logger): Promise<JoinResult> {
    const { directory, otp } = this.#deps;
    const read = await directory.read(
      { hosts: [desired.fqdn, ...desired.subhosts.map((s) => s.fqdn)], services: desired.services.map((s) => s.principal) },
      deadline,
    );
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

function notRequested(): JoinResult {
  return { outcome: 'not_requested', answer: {}, writes: 0, problems: [] };
}

function describe(op: WriteOp): string {
  return 'principal' in op ? `${op.op} ${op.principal}` : `${op.op} ${op.fqdn}`;
}
