-- Backend schema of the unsharded `product` keyspace that the sidecar needs before it can serve the
-- seeds' sharded tables: the sequence tables that hand out auto_increment values (seed 002 and the
-- customer/corder tutorial it continues) and the lookup table of the corder_keyspace_idx vindex.
-- Idempotent, so the dev environment can apply it on every start.
--
-- A sequence row is (id=0, next_id = next value to hand out, cache = how many values the sidecar
-- reserves per round trip). Cache 3 as in seed 002: small, so tests cross reservation boundaries.

create table if not exists customer_seq(id bigint, next_id bigint, cache bigint, primary key(id)) comment 'vitess_sequence';
insert ignore into customer_seq(id, next_id, cache) values(0, 1, 3);

create table if not exists corder_seq(id bigint, next_id bigint, cache bigint, primary key(id)) comment 'vitess_sequence';
insert ignore into corder_seq(id, next_id, cache) values(0, 1, 3);

create table if not exists corder_event_seq(id bigint, next_id bigint, cache bigint, primary key(id)) comment 'vitess_sequence';
insert ignore into corder_event_seq(id, next_id, cache) values(0, 1, 3);

-- Owned by corder (consistent_lookup_unique in the tutorial): corder_id -> keyspace id of its row.
create table if not exists corder_keyspace_idx(corder_id bigint, keyspace_id varbinary(10), primary key(corder_id));
