-- INSERT into a non-owner table whose primary vindex is a lookup (seed 002's corder_event):
-- corder_event's corder_id is mapped to a keyspace id through corder_keyspace_idx, whose rows the
-- owner table corder wrote when the orders were created. The driver creates the orders (1..orders)
-- and warms the sidecar's lookup cache before the runs; each event inserts one event for a random
-- existing order. The same statement runs on the direct server (a plain INSERT).
--
-- Event ids are id_base + n*threads + thread id; the driver passes a new id_base for every run.

sysbench.cmdline.options = {
  orders = {"number of existing orders (corder_id 1..orders)", 1000},
  id_base = {"first corder_event_id of this run", 0},
}

function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  n = 0
  nthreads = sysbench.opt.threads
  base = sysbench.opt.id_base
  orders = sysbench.opt.orders
end

function thread_done()
  con:disconnect()
end

function event()
  local eid = base + n * nthreads + sysbench.tid
  n = n + 1
  local oid = sysbench.rand.uniform(1, orders)
  con:query(string.format(
    "INSERT INTO corder_event (corder_event_id, corder_id, ename) VALUES (%.0f, %d, 'paid')", eid, oid))
end
