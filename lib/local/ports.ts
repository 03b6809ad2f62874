/**
 * Ports of the local stack: reading one from the environment (PORT, STRIPE_EMULATOR_PORT), and
 * turning a failed listen into a message that names the variable to change.
 */
import { once } from 'node:events';
import type { Server } from 'node:net';

/** The local stack's API port when PORT is unset. */
export const DEFAULT_API_PORT = 3000;

/** The port in `env[variable]`; `fallback` when unset or empty; 0 means "any free port". */
export function portFromEnv(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${variable} must be a port number, not "${value}"`);
  return port;
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    variable: string,
  ) {
    super(`Port ${port} is already in use (is another \`npm start\` running?). Stop that process or choose another port, e.g. ${variable}=${port + 1}.`);
    this.name = 'PortInUseError';
  }
}

/** A listen error as the user can act on it: which variable picks another port. */
export function portError(error: unknown, port: number, host: string, variable: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new PortInUseError(port, variable);
  if (code === 'EACCES') return new Error(`Not allowed to listen on ${host}:${port}; choose a port above 1023 with ${variable}.`);
  return error as Error;
}

/** Listens on `port` (0 = free), failing with `portError` for the variable that chose it. */
export async function listen(server: Server, port: number, host: string, variable: string): Promise<void> {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    throw portError(error, port, host, variable);
  }
}
