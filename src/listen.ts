/**
 * A listening socket whose port is taken. The error names what the operator
 * changes (a configuration option, or a command-line flag), not only the port.
 */
export class AddressInUse extends Error {
  override name = 'AddressInUse';
  constructor(readonly address: string, readonly port: number, readonly setting: string) {
    super(`${address}:${port} is already in use (another process listens there); choose a free port with ${setting}`);
  }
}

/** Turns EADDRINUSE from a listen into AddressInUse naming `setting`; anything else is rethrown. */
export function explainListenError(error: unknown, address: string, port: number, setting: string): never {
  if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE') throw new AddressInUse(address, port, setting);
  throw error;
}
