import { dropTestDatabase } from './testing';

describe('dropTestDatabase', () => {
  it.each(['postgresql://postgres@127.0.0.1:5432/test', 'postgresql://postgres@127.0.0.1:5432/ump', 'postgresql://x@h/ump_tes'])(
    'refuses %s, before connecting anywhere',
    async (url) => {
      // Port 1 is closed: reaching the connection would fail differently.
      await expect(dropTestDatabase(url, 'postgresql://postgres@127.0.0.1:1/test')).rejects.toThrow(
        /Refusing to drop database .*only ump_test_\* databases are test databases/,
      );
    },
  );
});
