/**
 * Live-mode Stripe key shapes for tests that must refuse or detect them, built at run time so that
 * no live-key literal sits in the tree (secret scanners rightly flag one, fake or not).
 */
export function liveModeKey(suffix: string, kind: 'sk' | 'rk' = 'sk'): string {
  return [kind, 'live', suffix].join('_');
}
