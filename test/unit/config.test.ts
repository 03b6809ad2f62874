import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE, loadConfig } from '#adapters/config';
import { parseConfig } from '#core/config-validation';

const example = () => JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
const FINGERPRINT = '14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5';

describe('configuration schema', () => {
  it('accepts the example configuration and fills defaults', () => {
    const config = loadConfig({ LINKOUT_CONFIG_FILE: DEFAULT_CONFIG_FILE });
    expect(config.app.teamId).toBe('A1B2C3D4E5');
    expect(config.auth.accountClaim).toBe('sub');
    expect(config.catalog.products[0]!.prices[0]!.intervalCount).toBe(1);
    expect(config.portal.roles.member!.features.subscriptionCancel.enabled).toBe(false);
    // Owners may pause for up to 3 months, in the app and the portal; members may not pause.
    expect(config.portal.roles.owner!.pause).toEqual({
      mode: 'subscription',
      collectionBehavior: 'void',
      maxDuration: { interval: 'month', count: 3 },
      app: true,
      portal: true,
      portalDurations: [
        { interval: 'month', count: 1 },
        { interval: 'month', count: 3 },
      ],
    });
    expect(config.portal.roles.member!.pause).toBeUndefined();
  });

  describe('Android app', () => {
    it.each([
      ['the example app', (_c: any) => {}, { packageName: 'com.lumenphotos.app', sha256CertFingerprints: [FINGERPRINT] }],
      ['no Android app at all', (c: any) => delete c.app.android, undefined],
      [
        'an upload key and a Play App Signing key, underscores in the package name',
        (c: any) => (c.app.android = { packageName: 'com.lumen_photos.app2', sha256CertFingerprints: [FINGERPRINT, FINGERPRINT.replaceAll('E', 'F')] }),
        { packageName: 'com.lumen_photos.app2', sha256CertFingerprints: [FINGERPRINT, FINGERPRINT.replaceAll('E', 'F')] },
      ],
    ])('accepts %s', (_name, mutate, expected) => {
      const config = example();
      mutate(config);
      expect(parseConfig(config).app.android).toEqual(expected);
    });
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
    ['a pause duration in an unknown unit', (c: any) => (c.portal.roles.owner.pause.maxDuration = { interval: 'decade' }), 'pause.maxDuration.interval'],
    ['a maximum pause over three years', (c: any) => (c.portal.roles.owner.pause.maxDuration = { interval: 'year', count: 4 }), 'pause.maxDuration'],
    ['an unknown pause mode', (c: any) => (c.portal.roles.owner.pause.mode = 'skip'), 'pause.mode'],
    ['an unknown collection behaviour', (c: any) => (c.portal.roles.owner.pause.collectionBehavior = 'refund'), 'pause.collectionBehavior'],
    [
      'a portal pause for a role that pauses collection (the portal can only pause the subscription)',
      (c: any) => (c.portal.roles.owner.pause.mode = 'collection'),
      'pause.portal',
    ],
    [
      'a portal duration longer than the maximum',
      (c: any) => (c.portal.roles.owner.pause.portalDurations = [{ interval: 'week', count: 14 }]),
      'pause.portalDurations[0]',
    ],
    ['a pause allowed nowhere', (c: any) => Object.assign(c.portal.roles.owner.pause, { app: false, portal: false }), 'pause'],
    ['the old portal-only pause setting', (c: any) => (c.portal.roles.owner.features.subscriptionPause = { enabled: true }), 'subscriptionPause'],
    ['a return path that is a full URL', (c: any) => (c.portal.returnPaths = ['https://evil.example/']), 'returnPaths'],
    ['a product id without the prod_ prefix', (c: any) => (c.catalog.products[0].id = 'stock'), 'catalog.products'],
    ['an Android package name with one segment', (c: any) => (c.app.android.packageName = 'lumenphotos'), 'app.android.packageName'],
    ['an Android package segment starting with a digit', (c: any) => (c.app.android.packageName = 'com.1lumen.app'), 'app.android.packageName'],
    ['an Android package name with a hyphen', (c: any) => (c.app.android.packageName = 'com.lumen-photos.app'), 'app.android.packageName'],
    ['an Android app without fingerprints', (c: any) => (c.app.android.sha256CertFingerprints = []), 'app.android.sha256CertFingerprints'],
    ['a lower-case fingerprint', (c: any) => (c.app.android.sha256CertFingerprints = [FINGERPRINT.toLowerCase()]), 'app.android.sha256CertFingerprints'],
    [
      'a fingerprint without colons',
      (c: any) => (c.app.android.sha256CertFingerprints = [FINGERPRINT.replaceAll(':', '')]),
      'app.android.sha256CertFingerprints',
    ],
    ['a SHA-1 fingerprint (20 pairs)', (c: any) => (c.app.android.sha256CertFingerprints = [FINGERPRINT.slice(0, 59)]), 'app.android.sha256CertFingerprints'],
    ['a fingerprint with 33 pairs', (c: any) => (c.app.android.sha256CertFingerprints = [`${FINGERPRINT}:AB`]), 'app.android.sha256CertFingerprints'],
    ['an unknown Android setting', (c: any) => (c.app.android.sha1CertFingerprints = []), 'sha1CertFingerprints'],
  ])('rejects %s with a message naming the field', (_name, mutate, field) => {
    const config = example();
    mutate(config);
    expect(() => parseConfig(config)).toThrow(field);
  });
});
