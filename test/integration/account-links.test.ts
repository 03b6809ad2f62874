import { documentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoAccountLinks } from '../../functions/adapters/dynamodb/account-links';
import { DYNAMO_SERVER_KINDS, useLocalDynamo } from '../helpers/dynamodb';

// The race below rests on a conditional write: it runs on dynalite and on DynamoDB Local.
describe.each(DYNAMO_SERVER_KINDS)('account links (%s)', (kind) => {
  const db = useLocalDynamo({ kind });
  const links = () => new DynamoAccountLinks(documentClient(db.client), db.tableName);

  it('links an account to a customer in both directions', async () => {
    expect(await links().link('acct_1', 'cus_1')).toBe('cus_1');
    expect(await links().customerForAccount('acct_1')).toBe('cus_1');
    expect(await links().accountForCustomer('cus_1')).toBe('acct_1');
  });

  it('keeps the first customer when a second link races in', async () => {
    const results = await Promise.all([links().link('acct_2', 'cus_a'), links().link('acct_2', 'cus_b')]);
    expect(new Set(results).size).toBe(1);
    const winner = results[0]!;
    expect(await links().customerForAccount('acct_2')).toBe(winner);
    expect(await links().accountForCustomer(winner)).toBe('acct_2');
  });

  it('is idempotent for the same pair', async () => {
    await links().link('acct_3', 'cus_3');
    expect(await links().link('acct_3', 'cus_3')).toBe('cus_3');
  });

  it('answers undefined for unknown ids', async () => {
    expect(await links().customerForAccount('nobody')).toBeUndefined();
    expect(await links().accountForCustomer('cus_unknown')).toBeUndefined();
  });
});
