package backend

import (
	"encoding/binary"

	"sidecar/mysql"
)

// Prepare prepares sql on this connection once; with relay set, the reply is
// copied to the client with the client's statement id.
func (bc *Conn) Prepare(sql string, relay *mysql.Conn, clientID uint32) (Stmt, error) {
	if st, ok := bc.stmts[sql]; ok && relay == nil {
		return st, nil
	}
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
	old, hadOld := bc.stmts[sql]
	bc.stmts[sql] = st
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
