/**
 * Who may retrieve and revoke certificates (ipaserver/plugins/virtual.py and
 * cert.py bind_principal_can_manage_cert): the caller's effective write right
 * on `objectclass` of the virtual-operation entry, as the directory answers
 * it for the identity the store acts as; failing that, a host principal may
 * still manage a certificate whose last subject CN is its own name.
 */
import { ACIError, FreeIpaError, NotFoundError } from '../../freeipa/errors.js';
import type { CommandContext } from '../command.js';
import { rdn } from '../dn.js';
import { parsePrincipal } from '../commands/principal.js';
import { lastCommonName, type CertificateFacts } from './certificate.js';

export type VirtualOperation = 'retrieve certificate' | 'revoke certificate' | 'request certificate' | 'certificate status' | 'certificate remove hold';

export function virtualOperationDn(ctx: CommandContext, operation: VirtualOperation): string {
  return `${rdn('cn', operation)},cn=virtual operations,cn=etc,${ctx.env.suffix}`;
}

function denied(info: string): FreeIpaError {
  return new ACIError(`Insufficient access: ${info}`, { info });
}

/** check_operation_access */
export async function checkOperation(ctx: CommandContext, operation: VirtualOperation): Promise<void> {
  let allowed: boolean;
  try {
    allowed = await ctx.store.canWrite(virtualOperationDn(ctx, operation), 'objectclass');
  } catch (err) {
    if (err instanceof NotFoundError) throw denied('No such virtual command');
    throw err;
  }
  if (!allowed) throw denied(`not allowed to perform operation: ${operation}`);
}

/** bind_principal_can_manage_cert: only hosts, and only for certificates naming them. */
function hostManagesCert(ctx: CommandContext, cert: CertificateFacts): boolean {
  const parsed = parsePrincipal(ctx.principal);
  if (!parsed || parsed.components.length !== 2 || parsed.components[0] !== 'host') return false;
  const cn = lastCommonName(cert);
  return cn !== null && cn.toLowerCase() === (parsed.components[1] ?? '').toLowerCase();
}

/** The virtual operation, with the host fallback cert_show and cert_revoke both allow. */
export async function checkCertOperation(ctx: CommandContext, operation: VirtualOperation, cert: CertificateFacts): Promise<void> {
  try {
    await checkOperation(ctx, operation);
  } catch (err) {
    if (err instanceof ACIError && hostManagesCert(ctx, cert)) return;
    throw err;
  }
}
