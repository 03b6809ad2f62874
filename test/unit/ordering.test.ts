import { orderEvent, type Watermark } from '#core/ordering';

const stored = (created: number, eventIds: string[], terminal = false): Watermark => ({ created, eventIds, terminal });

describe('orderEvent: a stored watermark against an incoming event', () => {
  it.each([
    // [case, stored, incoming, decision]
    ['nothing stored yet', undefined, { eventId: 'evt_a', created: 100, terminal: false }, 'apply'],
    ['a newer event', stored(100, ['evt_a']), { eventId: 'evt_b', created: 101, terminal: false }, 'apply'],
    ['the same event again', stored(100, ['evt_a']), { eventId: 'evt_a', created: 100, terminal: false }, 'duplicate'],
    ['an event already applied in a tie second', stored(100, ['evt_a', 'evt_b']), { eventId: 'evt_b', created: 100, terminal: false }, 'duplicate'],
    ['an older event', stored(100, ['evt_a']), { eventId: 'evt_z', created: 99, terminal: false }, 'stale'],
    [
      'a different event in the same second (strict < would drop it, <= would let the older win)',
      stored(100, ['evt_a']),
      { eventId: 'evt_b', created: 100, terminal: false },
      'tie',
    ],
    ['an older non-terminal event after a terminal state', stored(100, ['evt_a'], true), { eventId: 'evt_z', created: 99, terminal: false }, 'stale'],
    ['a same-second non-terminal event after a terminal state', stored(100, ['evt_a'], true), { eventId: 'evt_b', created: 100, terminal: false }, 'stale'],
    [
      'a "newer" non-terminal event after a terminal state (never resurrect)',
      stored(100, ['evt_a'], true),
      { eventId: 'evt_b', created: 105, terminal: false },
      'stale',
    ],
    ['a newer terminal event after a terminal state', stored(100, ['evt_a'], true), { eventId: 'evt_b', created: 105, terminal: true }, 'apply'],
    ['an older terminal event after a terminal state', stored(100, ['evt_a'], true), { eventId: 'evt_z', created: 90, terminal: true }, 'stale'],
    ['a same-second terminal event after a non-terminal state', stored(100, ['evt_a']), { eventId: 'evt_b', created: 100, terminal: true }, 'tie'],
    ['a duplicate of a terminal event', stored(100, ['evt_a'], true), { eventId: 'evt_a', created: 100, terminal: true }, 'duplicate'],
  ] as const)('%s', (_case, storedWatermark, incoming, decision) => {
    expect(orderEvent(storedWatermark, incoming)).toBe(decision);
  });
});
