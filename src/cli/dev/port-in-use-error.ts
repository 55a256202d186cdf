/** `listen` failed because the address is taken. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is already in use`);
    this.name = 'PortInUseError';
  }
}
