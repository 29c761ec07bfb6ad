package integration

import _ "embed"

// ProductSchema is testdata/product.sql: the `product` keyspace's sequence tables and the
// corder_keyspace_idx lookup table. Embedded so the devenv command and tests in other directories
// need no path to it; apply it with MariaDB.Exec("product", ProductSchema).
//
//go:embed testdata/product.sql
var ProductSchema string

// DevDatabases are the backend databases of the example config (conf/examples/sidecar.yaml): two
// shards each of `things` and `customer` (x80 = -80, 80x = 80-) and the unsharded `product`.
var DevDatabases = []string{"things_x80", "things_80x", "customer_x80", "customer_80x", "product"}
