// Package maintain repairs and verifies data the sidecar's write path did not
// write: rows that existed before a vindex was added, rows written directly
// on a shard, rows a crash left half-done. It has three jobs, each behind a
// `sidecar` subcommand:
//
//   - Backfill fills the NULL values of a column whose vindex is reversible
//     (keyspace_id with binary, customer_id with hash, …) from each row's
//     keyspace id, and reports the values that do not match it.
//   - LookupBackfill creates the missing lookup rows of a lookup vindex's
//     owner rows, taking over lookup rows that point at a keyspace id
//     without an owner, as the consistent lookup does.
//   - LookupCheck reports missing, mismatched and orphan lookup rows and,
//     with Repair, fixes them.
//
// All three work shard by shard in primary-key batches over their own
// connections to the shards (not through a sidecar), and are safe while
// applications write through sidecars at the same time. They follow the
// consistent lookup's rules (vindex/consistent_lookup.go):
//
//   - An owner row is never left without its lookup row: lookup rows are
//     only created or re-pointed, never deleted, while their owner exists.
//   - A batch that needs changing is read a second time under locks before
//     anything is written: its owner rows with LOCK IN SHARE MODE (so no
//     UPDATE or DELETE through a sidecar, which reads its rows FOR UPDATE,
//     can change or remove them meanwhile — while the sidecar's own check
//     for an owner row, a shared read too, is not blocked), their lookup rows
//     FOR UPDATE (the lock the consistent lookup's duplicate protocol takes
//     before it looks at an owner or takes a row over).
//   - A lookup row is taken over or deleted only after checking, under those
//     locks, that no owner row on the shard of its keyspace id holds the
//     value, with a locking read that waits for an owner row being inserted.
//
// Every change is idempotent and conditional (`… WHERE col IS NULL`,
// `… WHERE to = old`), committed batch by batch: a run that is interrupted,
// or run again, finds done what is done and changes nothing twice.
package maintain
