package sidecar

import (
	"encoding/binary"

	"sidecar/backend"
	"sidecar/engine"
	"sidecar/mysql"
	"sidecar/planner"
	"sidecar/sqlerr"
)

// scatter runs a SELECT on several shards at once and concatenates the rows:
// each shard's query (SQL "": the client's statement) is sent first, so the
// shards work in parallel, then the results are relayed one after the other, row packets
// straight through the write buffer (memory stays bounded however large the
// result). The first shard's column definitions are used; the final EOF
// carries the summed warnings. If any shard fails, the client gets its error.
func (s *session) scatter(queries []engine.ShardQuery, plan *planner.Plan, stmt *preparedStmt, more bool) error {
	type part struct {
		bc   *backend.Conn
		held bool
		sent bool
	}
	parts := make([]part, 0, len(queries))
	defer func() {
		if s.w.Failed() { // the client went away mid-result
			for _, p := range parts {
				s.abandon(p.bc)
			}
		}
		for _, p := range parts {
			if p.bc.Broken && p.held {
				s.dropHeld(p.bc)
				p.held = false
			}
			s.release(p.bc, p.held, 0)
		}
	}()
	for _, q := range queries {
		bc, held, err := s.acquireRead(q.Shard)
		if err != nil {
			return err
		}
		parts = append(parts, part{bc: bc, held: held})
	}
	var firstErr error
	for i := range parts {
		bc := parts[i].bc
		var err error
		switch sql := queries[i].SQL; {
		case stmt != nil:
			err = s.sendExecute(bc, stmt)
		case sql != "":
			err = bc.SendQuery(mysql.ComQuery, sql)
		default:
			err = bc.SendQuery(mysql.ComQuery, s.stmtPrefix+plan.Query)
		}
		if err != nil {
			firstErr = err
			break
		}
		parts[i].sent = true
	}
	header := false
	var warnings uint16
	var rows uint64
	limit := s.rowCap(plan)
	counts := make([]uint16, len(parts))
	for i, p := range parts {
		if !p.sent {
			continue
		}
		err := s.relayPart(p.bc, &header, &counts[i], &rows, limit, firstErr == nil)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		warnings += counts[i]
	}
	if firstErr != nil {
		return firstErr
	}
	for i, p := range parts {
		s.keepWarnings(p.bc, counts[i], false)
	}
	return s.endResult(rows, warnings, more)
}

// relayPart reads one shard's result set. The column definitions are relayed
// only for the first shard; rows are relayed (and counted in rows) while write
// is true (after an error the remaining results are only drained, keeping
// connections usable) and fewer than limit were.
func (s *session) relayPart(bc *backend.Conn, header *bool, warnings *uint16, rows *uint64, limit uint64, write bool) error {
	p, err := bc.Wire.ReadPacket()
	if err != nil {
		bc.Broken = true
		return bc.Lost(err)
	}
	switch p[0] {
	case 0xff:
		return bc.Err(p)
	case 0x00:
		return sqlerr.Routing("shard %s answered a SELECT without a result set", bc)
	}
	n, _, _, _ := mysql.ReadLenEncInt(p)
	first := !*header && write
	if first {
		s.w.WritePacket(p)
		*header = true
	}
	for i := 0; i <= int(n); i++ { // column definitions and their EOF
		q, err := bc.Wire.ReadPacket()
		if err != nil {
			bc.Broken = true
			return bc.Lost(err)
		}
		if first {
			s.w.WritePacketParts(bc.ColumnDef(q))
		}
	}
	for {
		q, err := bc.Wire.ReadPacket()
		if err != nil {
			bc.Broken = true
			return bc.Lost(err)
		}
		switch {
		case q[0] == 0xff:
			return bc.Err(q)
		case mysql.IsEOF(q):
			*warnings += binary.LittleEndian.Uint16(q[1:])
			return nil
		}
		if write && *rows < limit {
			*rows++
			if err := s.w.WritePacket(q); err != nil {
				return err // the client is gone: the caller abandons the shards
			}
		}
	}
}
