import { batchById } from './batch';

type Row = { id: string; name: string };
const row = (id: string): Row => ({ id, name: `row ${id}` });

describe('batchById', () => {
  it('answers the ids in the order asked, whatever order the rows come in', async () => {
    const batch = batchById<Row>(async () => [row('c'), row('a'), row('b')]);
    expect(await batch(['a', 'b', 'c'])).toEqual([row('a'), row('b'), row('c')]);
  });

  it('answers null for ids without a row (missing or out of scope)', async () => {
    const batch = batchById<Row>(async () => [row('b')]);
    expect(await batch(['a', 'b', 'z'])).toEqual([null, row('b'), null]);
  });

  it('answers repeated ids with the same row each time', async () => {
    const batch = batchById<Row>(async () => [row('a')]);
    const result = await batch(['a', 'x', 'a']);
    expect(result).toEqual([row('a'), null, row('a')]);
    expect(result[0]).toBe(result[2]);
  });

  it('fetches once, with all ids, and ignores rows nobody asked for', async () => {
    const calls: (readonly string[])[] = [];
    const batch = batchById<Row>(async (ids) => {
      calls.push(ids);
      return [row('a'), row('extra')];
    });
    expect(await batch(['a', 'b'])).toEqual([row('a'), null]);
    expect(calls).toEqual([['a', 'b']]);
  });

  it('answers an empty list for no ids', async () => {
    expect(await batchById<Row>(async () => [])([])).toEqual([]);
  });

  it('propagates a failing fetch', async () => {
    const batch = batchById<Row>(async () => {
      throw new Error('db down');
    });
    await expect(batch(['a'])).rejects.toThrow('db down');
  });
});
