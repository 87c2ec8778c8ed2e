// The repo resolves modules the node10 way, which ignores package.json "exports": chdb's
// 'chdb/connection' entry resolves at run time but not for the type checker. This points
// the checker at the same file the "exports" map names.
declare module 'chdb/connection' {
  export * from 'chdb/dist/connection/index';
}
