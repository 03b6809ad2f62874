/**
 * The local stack's ports from the environment (PORT, STRIPE_EMULATOR_PORT): one reading rule, and a
 * taken port reported with the variable that picks another.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { listen, PortInUseError, portFromEnv } from '#local/ports';

describe('portFromEnv', () => {
  it.each([
    ['unset: the default', {}, 3000],
    ['empty: the default', { PORT: '' }, 3000],
    ['0: any free port', { PORT: '0' }, 0],
    ['a port number', { PORT: '8080' }, 8080],
    ['the highest port', { PORT: '65535' }, 65535],
  ])('%s', (_name, env, expected) => {
    expect(portFromEnv(env, 'PORT', 3000)).toBe(expected);
  });

  it.each(['abc', '-1', '65536', '80.5'])('refuses %j, naming the variable', (value) => {
    expect(() => portFromEnv({ STRIPE_EMULATOR_PORT: value }, 'STRIPE_EMULATOR_PORT', 12111)).toThrow(
      `STRIPE_EMULATOR_PORT must be a port number, not "${value}"`,
    );
  });
});

describe('listen', () => {
  it('reports a taken port as PortInUseError suggesting the next port with the variable', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as { port: number };
    const second = createServer();
    try {
      const attempt = listen(second, port, '127.0.0.1', 'PORT');
      await expect(attempt).rejects.toThrow(PortInUseError);
      await expect(attempt).rejects.toThrow(`PORT=${port + 1}`);
    } finally {
      blocker.close();
      second.close();
    }
  });
});
