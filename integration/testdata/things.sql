-- Seed 000's schema of the sharded `things` keyspace, applied through the sidecar (DDL runs on every
-- shard): the owner table and the table behind its consistent_lookup_unique vindex on `name`.

CREATE TABLE things (
  id BIGINT NOT NULL,
  name VARCHAR(255) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE (name)
) ENGINE=InnoDB;

CREATE TABLE things_name_lookup (
  name VARCHAR(255) NOT NULL,
  keyspace_id VARBINARY(10) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB;
