-- INSERT into a table with an owned consistent_lookup_unique vindex: users(id, email), primary
-- vindex hash(id), email -> users_email_lookup (the sidecar writes the lookup row itself).
--
--   --mode=sidecar  one statement per event: INSERT INTO users (id, email) VALUES (...)
--   --mode=direct   the hand-written equivalent on one plain MariaDB, per event:
--                   BEGIN; INSERT lookup row; INSERT user row; COMMIT
--
-- Ids are id_base + n*threads + thread id, so they never repeat within a run; the driver passes a
-- new id_base for every run. Text protocol, like sysbench's own oltp_insert.

sysbench.cmdline.options = {
  mode = {"sidecar (INSERT users only) or direct (BEGIN; lookup row; user row; COMMIT)", "sidecar"},
  id_base = {"first id of this run", 0},
}

function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  n = 0
  nthreads = sysbench.opt.threads
  base = sysbench.opt.id_base
  direct = sysbench.opt.mode == "direct"
  if not direct and sysbench.opt.mode ~= "sidecar" then
    error("--mode must be sidecar or direct")
  end
end

function thread_done()
  con:disconnect()
end

function event()
  local id = base + n * nthreads + sysbench.tid
  n = n + 1
  local email = string.format("u%.0f@example.com", id)
  local insert_user = string.format("INSERT INTO users (id, email) VALUES (%.0f, '%s')", id, email)
  if direct then
    con:query("BEGIN")
    -- an 8-byte keyspace id, as the sidecar would write (its value does not matter here)
    con:query(string.format("INSERT INTO users_email_lookup (email, keyspace_id) VALUES ('%s', '%08.0f')", email, id % 100000000))
    con:query(insert_user)
    con:query("COMMIT")
  else
    con:query(insert_user)
  end
end
