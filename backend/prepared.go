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
// to its own, in which the statement then runs. readIn "" is unknown: the
// connection's own.
func (bc *Conn) PrepareIn(sql, readIn, mode string) (Stmt, error) {
	if readIn == "" || readIn == mode {
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
				relay.WritePacket(p)
			}
		}
	}
	if hadOld {
		bc.CloseStmt(old.ID) // the relayed prepare made a second copy
	}
	return st, nil
}

// CloseStmt deallocates a statement prepared on the connection.
func (bc *Conn) CloseStmt(id uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], id)
	if err := bc.Send(mysql.ComStmtClose, b[:], nil); err != nil {
		bc.Broken = true
	}
}
