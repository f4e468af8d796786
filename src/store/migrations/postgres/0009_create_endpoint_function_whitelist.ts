// The endpoint create function as migration 0008 now defines it, on every store.
//
// 0008 was changed after it first landed (main 2672589): the whitelist's record
// prefix is now compared as written ('iam:domain::'), as the statement path's
// grantsDomain decides. Its first text compared the whole record in lower case,
// so it also let 'IAM:DOMAIN::<id>' connect. A migration runs once, so a store
// migrated at 2672589 kept that first body. This replaces the function with
// 0008's text wherever it runs.
//
// In place, under the same name: the arguments and the answers did not change,
// so every node, of either version, calls the same corrected function during an
// upgrade. A change of arguments or answers still gets a new name (`_v2`).
// 0008's text is taken as it is, since a landed migration never changes again.
import { statements as created } from './0008_create_endpoint_function.ts';

export const statements = created.map((s) => {
  if (!s.startsWith('CREATE FUNCTION '))
    throw new Error('0008 holds a statement that is not CREATE FUNCTION');
  return `CREATE OR REPLACE FUNCTION ${s.slice('CREATE FUNCTION '.length)}`;
});
