/**
 * `true` when A and B are the same type, else `false`: a compile-time check that a schema and
 * the type it is meant to produce have not drifted apart (assignability either way would let
 * an extra optional field through). Use as `const ok: SameType<A, B> = true`.
 */
export type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
