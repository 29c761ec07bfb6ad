-- Schema of the sharded `customer` keyspace of seed 002 (the Vitess customer/corder tutorial it
-- continues), applied through the sidecar (DDL runs on every shard). corder_event has the
-- `keyspace_id` column that the reversible `binary` vindex fills.

create table customer(customer_id bigint, email varbinary(128), primary key(customer_id));
create table corder(corder_id bigint, customer_id bigint, product_id bigint, oname varchar(128), primary key(corder_id));
create table corder_event(corder_event_id bigint, corder_id bigint, ename varchar(128), keyspace_id varbinary(10), primary key(corder_id, corder_event_id));
