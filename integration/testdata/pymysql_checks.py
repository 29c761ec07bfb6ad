#!/usr/bin/python3
"""PyMySQL checks against a MySQL-protocol server: the sidecar, or MariaDB as a control.

Run with Debian's interpreter, which has python3-pymysql (1.0.2):

    /usr/bin/python3 pymysql_checks.py [--ssl-ca CA] [--checks a,b] HOST PORT USER PASSWORD DATABASE

Prints one line per check, in order: "ok NAME", "FAIL NAME: reason" or "skip NAME: reason", and
exits 1 when any check failed (2 on bad arguments). Every connection has connect, read and write
timeouts, so a server that stops answering fails a check instead of hanging the run.

Each check makes its own tables (named pymysql_*) with an autocommit connection, outside the
connections it tests, and drops them when it passed.
"""

import argparse
import hashlib
import os
import ssl
import sys
import traceback

import pymysql
from pymysql.constants import CLIENT, SERVER_STATUS

TIMEOUT = 10  # seconds, for connect, each read and each write
BIG_VALUE_SIZE = 20 * 1024 * 1024  # over 16 MB, so the statement and the row each span two packets


class Failed(Exception):
    """A check's expectation did not hold; the message is the reason printed."""


class Skipped(Exception):
    """A check that cannot run with the given arguments."""


class Checks:
    def __init__(self, args):
        self.args = args

    def connect(self, **kw):
        """A connection with PyMySQL's defaults (autocommit off) unless kw says otherwise."""
        params = dict(
            host=self.args.host,
            port=self.args.port,
            user=self.args.user,
            password=self.args.password,
            database=self.args.database,
            connect_timeout=TIMEOUT,
            read_timeout=TIMEOUT,
            write_timeout=TIMEOUT,
        )
        params.update(kw)
        return pymysql.connect(**params)

    def admin(self, *statements):
        """Runs statements on a fresh autocommit connection (table setup and cleanup)."""
        conn = self.connect(autocommit=True)
        try:
            with conn.cursor() as cur:
                for stmt in statements:
                    cur.execute(stmt)
        finally:
            conn.close()

    def query_one(self, sql):
        """The first row of sql, read on a fresh autocommit connection."""
        conn = self.connect(autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchone()
        finally:
            conn.close()

    # --- the checks, in the order they run -------------------------------------------------------

    def check_autocommit_rollback(self):
        """PyMySQL connects with autocommit off: an INSERT then rollback() leaves nothing behind.

        PyMySQL only sends SET autocommit=0 when the server's status flags (greeting, then each OK)
        say autocommit is on; a server that claims it is already off while it is on commits every
        statement, and rollback() silently does nothing.
        """
        self.admin(
            "DROP TABLE IF EXISTS pymysql_rollback",
            "CREATE TABLE pymysql_rollback (id INT PRIMARY KEY) ENGINE=InnoDB",
        )
        conn = self.connect()
        try:
            claimed = bool(conn.server_status & SERVER_STATUS.SERVER_STATUS_AUTOCOMMIT)
            with conn.cursor() as cur:
                cur.execute("INSERT INTO pymysql_rollback (id) VALUES (1)")
                cur.execute("SELECT COUNT(*) FROM pymysql_rollback")
                if cur.fetchone()[0] != 1:
                    raise Failed("the inserted row is not visible in its own transaction")
                cur.execute("SELECT @@autocommit")
                session_autocommit = cur.fetchone()[0]
            conn.rollback()
        finally:
            conn.close()
        (n,) = self.query_one("SELECT COUNT(*) FROM pymysql_rollback")
        if n != 0:
            raise Failed(
                "%d row(s) still in the table after rollback(), seen from another connection: the "
                "INSERT was committed (session @@autocommit=%s; the server status PyMySQL saw after "
                "connecting said autocommit=%s, so it %s SET autocommit=0)"
                % (n, session_autocommit, "on" if claimed else "off", "sent" if claimed else "never sent")
            )
        self.admin("DROP TABLE pymysql_rollback")

    def check_executemany(self):
        """executemany: a 100-row INSERT with parameters (one multi-row statement), an UPDATE per row."""
        self.admin(
            "DROP TABLE IF EXISTS pymysql_many",
            "CREATE TABLE pymysql_many (id INT PRIMARY KEY, name VARCHAR(40), note VARCHAR(40))",
        )
        rows = [(i, "name %d, 'quoted' \\ \u00e9" % i) for i in range(1, 101)]
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                n = cur.executemany("INSERT INTO pymysql_many (id, name) VALUES (%s, %s)", rows)
                if n != 100:
                    raise Failed("INSERT executemany affected %r rows, want 100" % n)
                # Not an INSERT ... VALUES: PyMySQL runs it once per row.
                n = cur.executemany(
                    "UPDATE pymysql_many SET note = %s WHERE id = %s",
                    [("note %d" % i, i) for i in range(1, 11)],
                )
                if n != 10:
                    raise Failed("UPDATE executemany affected %r rows, want 10" % n)
            conn.commit()
        finally:
            conn.close()
        got = self.query_one("SELECT COUNT(*), SUM(id), COUNT(note) FROM pymysql_many")
        if tuple(int(v) for v in got) != (100, 5050, 10):
            raise Failed("COUNT(*), SUM(id), COUNT(note) = %r after commit, want (100, 5050, 10)" % (got,))
        (name,) = self.query_one("SELECT name FROM pymysql_many WHERE id = 42")
        if name != rows[41][1]:
            raise Failed("row 42's name is %r, want %r" % (name, rows[41][1]))
        self.admin("DROP TABLE pymysql_many")

    def check_big_value(self):
        """A 20 MB value into a LONGBLOB and back, byte for byte (needs max_allowed_packet >= 64 MB)."""
        self.admin(
            "DROP TABLE IF EXISTS pymysql_big",
            "CREATE TABLE pymysql_big (id INT PRIMARY KEY, v LONGBLOB)",
        )
        data = os.urandom(BIG_VALUE_SIZE)
        want_sha = hashlib.sha256(data).hexdigest()
        # binary_prefix: the bytes go in as _binary'...', not as a utf8mb4 literal they are not.
        conn = self.connect(autocommit=True, binary_prefix=True, read_timeout=60, write_timeout=60)
        try:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO pymysql_big (id, v) VALUES (1, %s)", (data,))
                # Compare on the server first: it tells a damaged write from a damaged read.
                cur.execute("SELECT LENGTH(v), SHA2(v, 256) FROM pymysql_big WHERE id = 1")
                row = cur.fetchone()
                if row is None:
                    raise Failed("the row is not there after the INSERT")
                length, sha = row
                if (length, sha) != (len(data), want_sha):
                    raise Failed(
                        "stored value: LENGTH %s, SHA2 %s; sent %d bytes, SHA2 %s" % (length, sha, len(data), want_sha)
                    )
                cur.execute("SELECT v FROM pymysql_big WHERE id = 1")
                got = cur.fetchone()[0]
        finally:
            conn.close()
        if got != data:
            if len(got) != len(data):
                raise Failed("read back %d bytes, want %d" % (len(got), len(data)))
            first = next(i for i in range(len(data)) if got[i] != data[i])
            raise Failed("read back the right length but it differs from byte %d on" % first)
        self.admin("DROP TABLE pymysql_big")

    def check_ssl(self):
        """ssl={'ca': CA}: the connection is TLS on the client side, verified against CA and host.

        SHOW STATUS LIKE 'Ssl_cipher' would not do: through the sidecar it reaches the backend, whose
        connection to the sidecar is not the client's. The socket PyMySQL reads from is.
        """
        if not self.args.ssl_ca:
            raise Skipped("no --ssl-ca given")
        conn = self.connect(autocommit=True, ssl={"ca": self.args.ssl_ca})
        try:
            sock = conn._sock
            if not isinstance(sock, ssl.SSLSocket):
                raise Failed("the connection is not TLS: PyMySQL's socket is a %s" % type(sock).__name__)
            if not sock.version() or not sock.cipher():
                raise Failed("no TLS version or cipher negotiated")
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                got = cur.fetchall()
            if got != ((1,),):
                raise Failed("SELECT 1 over TLS returned %r" % (got,))
        finally:
            conn.close()

    def check_procedure_two_results(self):
        """CREATE PROCEDURE with a BEGIN ... END body (one statement with inner ';'), CALL, two results."""
        self.admin("DROP PROCEDURE IF EXISTS pymysql_two")
        conn = self.connect(autocommit=True)
        try:
            with conn.cursor() as cur:
                # One statement: PyMySQL sends it as it is, semicolons and all.
                cur.execute(
                    "CREATE PROCEDURE pymysql_two()\n"
                    "BEGIN\n"
                    "  SELECT 1 AS a;\n"
                    "  SELECT 'two' AS b, 2 AS c;\n"
                    "END"
                )
                cur.execute("CALL pymysql_two()")
                first = cur.fetchall()
                if first != ((1,),):
                    raise Failed("first result set %r, want ((1,),)" % (first,))
                if not cur.nextset():
                    raise Failed("no second result set")
                second = cur.fetchall()
                if second != (("two", 2),):
                    raise Failed("second result set %r, want (('two', 2),)" % (second,))
                # The CALL's own status (an OK packet) follows; PyMySQL shows it as one more set
                # without columns. Another set with columns would be a third SELECT's.
                extra = 0
                while cur.nextset():
                    if cur.description is not None:
                        raise Failed("a third result set with columns: %r" % (cur.fetchall(),))
                    extra += 1
                    if extra > 1:
                        raise Failed("more than one status set after the two result sets")
                cur.execute("SELECT 3")
                if cur.fetchall() != ((3,),):
                    raise Failed("the connection is out of step after the CALL")
                cur.execute("DROP PROCEDURE pymysql_two")
        finally:
            conn.close()

    def check_trailing_blanks(self):
        """Multi-statements 'SELECT 1; SELECT 2;  ': exactly two result sets, then the connection works."""
        conn = self.connect(autocommit=True, client_flag=CLIENT.MULTI_STATEMENTS)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1; SELECT 2;  ")
                first = cur.fetchall()
                if first != ((1,),):
                    raise Failed("first result set %r, want ((1,),)" % (first,))
                if not cur.nextset():
                    raise Failed("no second result set")
                second = cur.fetchall()
                if second != ((2,),):
                    raise Failed("second result set %r, want ((2,),)" % (second,))
                if cur.nextset():
                    raise Failed(
                        "a third result set after the blanks (description %r, rows %r)"
                        % (cur.description, cur.fetchall())
                    )
                cur.execute("SELECT 3")
                if cur.fetchall() != ((3,),):
                    raise Failed("the connection is out of step after the multi-statement")
        finally:
            conn.close()


CHECKS = [name[len("check_"):] for name in vars(Checks) if name.startswith("check_")]


def one_line(s):
    return " | ".join(line.strip() for line in str(s).strip().splitlines() if line.strip())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("user")
    p.add_argument("password")
    p.add_argument("database")
    p.add_argument("--ssl-ca", help="CA certificate (PEM) for the ssl check; without it the check is skipped")
    p.add_argument("--checks", default=",".join(CHECKS), help="comma-separated checks to run (default: all: %(default)s)")
    args = p.parse_args()
    names = [n for n in args.checks.split(",") if n]
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        p.error("unknown checks %s; known: %s" % (", ".join(unknown), ", ".join(CHECKS)))

    checks = Checks(args)
    failed = False
    for name in names:
        try:
            getattr(checks, "check_" + name)()
        except Skipped as e:
            print("skip %s: %s" % (name, one_line(e)), flush=True)
        except Failed as e:
            failed = True
            print("FAIL %s: %s" % (name, one_line(e)), flush=True)
        except Exception as e:  # a driver or server error: name it, keep the traceback on stderr
            failed = True
            print("FAIL %s: %s: %s" % (name, type(e).__name__, one_line(e) or repr(e)), flush=True)
            traceback.print_exc()
            sys.stderr.flush()
        else:
            print("ok %s" % name, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
