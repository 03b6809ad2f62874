/**
 * DynamoPurchaseRecords on dynalite: the first record under an id stays (a double tap creates it
 * twice), a transition lands only from the status it was read in, and a read gives back exactly the
 * Purchase, without the table's keys and TTL.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#adapters/dynamodb/client';
import { DynamoPurchaseRecords } from '#adapters/dynamodb/purchase-records';
import type { Purchase } from '#core/purchases';
import { useLocalDynamo } from '../helpers/dynamodb';

const NOW = 1_900_000_000;

const purchase = (id: string, overrides: Partial<Purchase> = {}): Purchase => ({
  id,
  kind: 'setup_intent',
  accountId: 'acct_records',
  customerId: 'cus_records',
  priceId: 'price_1',
  status: 'pending',
  reason: null,
  subscriptionId: null,
  createdAt: NOW,
  updatedAt: NOW,
  ...overrides,
});

describe('DynamoPurchaseRecords (dynalite)', () => {
  const db = useLocalDynamo();
  const records = () => new DynamoPurchaseRecords(documentClient(db.client), db.tableName);

  it('reads back exactly the purchase, without pk, sk or ttl, and keeps the item under PURCHASE#<id> with a TTL', async () => {
    await records().create(purchase('seti_read'));
    expect(await records().get('seti_read')).toEqual(purchase('seti_read'));
    const { Item } = await documentClient(db.client).send(new GetCommand({ TableName: db.tableName, Key: { pk: 'PURCHASE#seti_read', sk: 'PURCHASE' } }));
    expect(Item!.ttl).toBeGreaterThan(NOW);
  });

  it('an unknown id is undefined', async () => {
    expect(await records().get('seti_nobody')).toBeUndefined();
  });

  it('a second create under the same id keeps the first record and its progress', async () => {
    await records().create(purchase('cs_twice', { kind: 'checkout_session' }));
    expect(await records().transition('cs_twice', 'pending', { status: 'completed', reason: null, subscriptionId: 'sub_1' }, NOW + 5)).toBe(true);
    await records().create(purchase('cs_twice', { kind: 'checkout_session', priceId: 'price_other' }));
    expect(await records().get('cs_twice')).toEqual(
      purchase('cs_twice', { kind: 'checkout_session', status: 'completed', subscriptionId: 'sub_1', updatedAt: NOW + 5 }),
    );
  });

  it('concurrent creates of one id leave one record', async () => {
    await Promise.all([records().create(purchase('seti_tap', { priceId: 'price_a' })), records().create(purchase('seti_tap', { priceId: 'price_b' }))]);
    expect(['price_a', 'price_b']).toContain((await records().get('seti_tap'))!.priceId);
  });

  it('a transition lands only from the status it was read in', async () => {
    await records().create(purchase('seti_move'));
    const failed = { status: 'failed' as const, reason: 'authentication_failed' as const, subscriptionId: null };
    expect(await records().transition('seti_move', 'completed', failed, NOW + 1)).toBe(false);
    expect((await records().get('seti_move'))!.status).toBe('pending');
    expect(await records().transition('seti_move', 'pending', failed, NOW + 2)).toBe(true);
    expect(await records().get('seti_move')).toEqual(purchase('seti_move', { ...failed, updatedAt: NOW + 2 }));
    // Read in `pending` by a concurrent delivery: it lost, and does not overwrite.
    expect(await records().transition('seti_move', 'pending', { status: 'completed', reason: null, subscriptionId: 'sub_x' }, NOW + 3)).toBe(false);
    expect((await records().get('seti_move'))!.status).toBe('failed');
  });

  it('of concurrent transitions from the same status exactly one lands', async () => {
    await records().create(purchase('seti_race'));
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        records().transition('seti_race', 'pending', { status: 'completed', reason: null, subscriptionId: `sub_${i}` }, NOW + 1),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('a transition of a purchase that was never recorded does not create one', async () => {
    expect(await records().transition('seti_ghost', 'pending', { status: 'expired', reason: 'checkout_expired', subscriptionId: null }, NOW)).toBe(false);
    expect(await records().get('seti_ghost')).toBeUndefined();
  });
});
