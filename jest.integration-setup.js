// Integration tests start real services and whole platforms: give them time.
jest.setTimeout(60_000);
