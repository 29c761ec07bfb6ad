package backend

import (
	"encoding/binary"
	"strings"

	"sidecar/mysql"
	"sidecar/sqlerr"
)

// stmtKey names a statement prepared on a connection: its text, and the
// sql_mode it was read in (the same text means another statement under
// ANSI_QUOTES).
type stmtKey struct{ sql, mode string }

// UnknownMode is the sql_mode of a session whose backends' default was
// never read (the first shard was down when the sidecar started): its
// statements are prepared in the connection's own mode. Not a mode's text,
// which is names and commas, or empty.
const UnknownMode = "?"

// maxStmts bounds the statements prepared on one backend connection. Each
// stays allocated on the server until it is closed, and the server's
// max_prepared_stmt_count (16382 by default) counts them over all its
// connections: a client preparing ever new texts would otherwise run every
// client of that server into ERROR 1461. A connection at the bound closes
// all of its statements; those still used are prepared again on their next
// execute.
const maxStmts = 128

// Prepare prepares sql on this connection, whose sql_mode is mode, once;
// with relay set, the reply is copied to the client with the client's
// statement id.
func (bc *Conn) Prepare(sql, mode string, relay *mysql.Conn, clientID uint32) (Stmt, error) {
	return bc.prepare(stmtKey{sql, mode}, relay, clientID)
}

// PrepareIn prepares sql on this connection, whose sql_mode is mode, once,
// read as under sql_mode readIn. A client's statement keeps the meaning it
// was prepared with, as MySQL keeps it, though the session's sql_mode
// changed since: the connection switches to readIn for the prepare and back
// to its own, in which the statement then runs. readIn UnknownMode: the
// connection's own.
func (bc *Conn) PrepareIn(sql, readIn, mode string) (Stmt, error) {
	if readIn == UnknownMode || readIn == mode {
		return bc.prepare(stmtKey{sql, mode}, nil, 0)
	}
	key := stmtKey{sql, readIn}
	if st, ok := bc.stmts[key]; ok {
		return st, nil
	}
	if strings.Trim(readIn, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_,") != "" {
		return Stmt{}, sqlerr.Routing("an sql_mode of unexpected characters: %q", readIn)
	}
	if _, err := bc.Exec("SET @sidecar_sql_mode = @@SESSION.sql_mode, SESSION sql_mode = '" + readIn + "'"); err != nil {
		return Stmt{}, err
	}
	st, err := bc.prepare(key, nil, 0)
	if _, rerr := bc.Exec("SET SESSION sql_mode = @sidecar_sql_mode, @sidecar_sql_mode = NULL"); rerr != nil {
		bc.Broken = true // left in another sql_mode: not to be used again
		return Stmt{}, rerr
	}
	return st, err
}

func (bc *Conn) prepare(key stmtKey, relay *mysql.Conn, clientID uint32) (Stmt, error) {
	if st, ok := bc.stmts[key]; ok && relay == nil {
		return st, nil
	}
	if len(bc.stmts) >= maxStmts {
		if err := bc.closeStmts(); err != nil {
			return Stmt{}, err
		}
	}
	sql := key.sql
	if err := bc.SendQuery(mysql.ComStmtPrepare, sql); err != nil {
		return Stmt{}, err
	}
	p, err := bc.Wire.ReadPacket()
	if err != nil {
		bc.Broken = true
		return Stmt{}, bc.Lost(err)
	}
	if p[0] == 0xff {
		return Stmt{}, bc.Err(p)
	}
	if len(p) < 12 {
		bc.Broken = true
		return Stmt{}, bc.Lost(mysql.ErrMalformed)
	}
	st := Stmt{ID: binary.LittleEndian.Uint32(p[1:]), NumParams: binary.LittleEndian.Uint16(p[7:])}
	columns := int(binary.LittleEndian.Uint16(p[5:]))
	old, hadOld := bc.stmts[key]
	bc.stmts[key] = st
	if relay != nil {
		binary.LittleEndian.PutUint32(p[1:], clientID)
		relay.WritePacket(p)
	}
	// Parameter definitions then column definitions, each block ended by EOF.
	for _, n := range []int{int(st.NumParams), columns} {
		if n == 0 {
			continue
		}
		for i := 0; i <= n; i++ {
			p, err := bc.Wire.ReadPacket()
			if err != nil {
				bc.Broken = true
				return st, bc.Lost(err)
			}
			if relay != nil {
				relay.WritePacketParts(bc.ColumnDef(p)) // the EOF is no definition: kept
			}
		}
	}
	if hadOld {
		bc.CloseStmt(old.ID) // the relayed prepare made a second copy
	}
	return st, nil
}

// closeStmts deallocates every statement prepared on the connection, in one
// write: COM_STMT_CLOSE has no reply.
func (bc *Conn) closeStmts() error {
	var b [5]byte
	b[0] = mysql.ComStmtClose
	for _, st := range bc.stmts {
		binary.LittleEndian.PutUint32(b[1:], st.ID)
		bc.Wire.Seq = 0
		if err := bc.Wire.WritePacket(b[:]); err != nil {
			return bc.Fail(err)
		}
	}
	clear(bc.stmts)
	if err := bc.Wire.Flush(); err != nil {
		return bc.Fail(err)
	}
	return nil
}

// CloseStmt deallocates a statement prepared on the connection.
func (bc *Conn) CloseStmt(id uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], id)
	if err := bc.Send(mysql.ComStmtClose, b[:], nil); err != nil {
		bc.Broken = true
	}
}
