import { DynamoAccountLinks } from '#adapters/dynamodb/account-links';
import { documentClient } from '#adapters/dynamodb/client';
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

  describe('after Stripe deleted the customer', () => {
    it('frees the account, remembers the deleted customer and refuses to link it again', async () => {
      await links().link('acct_4', 'cus_old');
      expect(await links().unlinkDeletedCustomer('cus_old')).toBe('acct_4');
      expect(await links().customerForAccount('acct_4')).toBeUndefined();
      expect(await links().deletedCustomerOf('acct_4')).toBe('cus_old');
      expect(await links().link('acct_4', 'cus_old')).toBeUndefined();
      expect(await links().customerForAccount('acct_4')).toBeUndefined();
    });

    it('lets the account take a new customer, first link winning as before', async () => {
      await links().link('acct_5', 'cus_gone');
      await links().unlinkDeletedCustomer('cus_gone');
      const results = await Promise.all([links().link('acct_5', 'cus_new_a'), links().link('acct_5', 'cus_new_b')]);
      expect(new Set(results).size).toBe(1);
      expect(await links().customerForAccount('acct_5')).toBe(results[0]);
    });

    it('is idempotent, and leaves an account that already moved on alone', async () => {
      await links().link('acct_6', 'cus_first');
      await links().unlinkDeletedCustomer('cus_first');
      await links().link('acct_6', 'cus_second');
      expect(await links().unlinkDeletedCustomer('cus_first')).toBe('acct_6');
      expect(await links().customerForAccount('acct_6')).toBe('cus_second');
    });

    it('answers undefined for a customer no account knows', async () => {
      expect(await links().unlinkDeletedCustomer('cus_stranger')).toBeUndefined();
    });
  });
});
