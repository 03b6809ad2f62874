import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE, loadConfig } from '#adapters/config';
import { parseConfig } from '#core/config-validation';

const example = () => JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));

describe('configuration schema', () => {
  it('accepts the example configuration and fills defaults', () => {
    const config = loadConfig({ LINKOUT_CONFIG_FILE: DEFAULT_CONFIG_FILE });
    expect(config.app.teamId).toBe('A1B2C3D4E5');
    expect(config.auth.accountClaim).toBe('sub');
    expect(config.catalog.products[0]!.prices[0]!.intervalCount).toBe(1);
    expect(config.portal.roles.member!.features.subscriptionCancel.enabled).toBe(false);
    expect(config.portal.roles.member!.features.subscriptionPause).toEqual({ enabled: false, durations: [] });
  });

  it('prefers inline LINKOUT_CONFIG over a file', () => {
    const inline = example();
    inline.app.name = 'Inline App';
    expect(loadConfig({ LINKOUT_CONFIG: JSON.stringify(inline), LINKOUT_CONFIG_FILE: '/does/not/exist' }).app.name).toBe('Inline App');
  });

  it.each([
    ['a team id of the wrong length', (c: any) => (c.app.teamId = 'ABC'), 'app.teamId'],
    ['a domain with a scheme', (c: any) => (c.app.universalLinkDomain = 'https://links.example.com'), 'app.universalLinkDomain'],
    ['a headline over 60 characters', (c: any) => (c.portal.businessProfile.headline = 'x'.repeat(61)), 'headline'],
    ['a least-privileged role that does not exist', (c: any) => (c.portal.leastPrivilegedRole = 'guest'), 'leastPrivilegedRole'],
    ['an unknown portal feature', (c: any) => (c.portal.roles.owner.features.subscriptionSkip = { enabled: true }), 'subscriptionSkip'],
    [
      'a pause duration in an unknown unit',
      (c: any) => (c.portal.roles.owner.features.subscriptionPause = { enabled: true, durations: [{ interval: 'decade' }] }),
      'subscriptionPause',
    ],
    [
      'a pause duration over three years',
      (c: any) => (c.portal.roles.owner.features.subscriptionPause = { enabled: true, durations: [{ interval: 'year', count: 4 }] }),
      'subscriptionPause.durations',
    ],
    ['a return path that is a full URL', (c: any) => (c.portal.returnPaths = ['https://evil.example/']), 'returnPaths'],
    ['a product id without the prod_ prefix', (c: any) => (c.catalog.products[0].id = 'stock'), 'catalog.products'],
  ])('rejects %s with a message naming the field', (_name, mutate, field) => {
    const config = example();
    mutate(config);
    expect(() => parseConfig(config)).toThrow(field);
  });
});
