package sidecar

import (
	"encoding/binary"
	"strconv"
	"strings"

	"sidecar/backend"
	"sidecar/conf"
	"sidecar/metrics"
	"sidecar/mysql"
	"sidecar/sqlerr"
)

// relayed describes a result the sidecar passed from a backend to the client.
type relayed struct {
	started    bool          // something was written to the client
	warnings   uint16        // of the final OK/EOF
	ok         mysql.OK      // the final OK of a statement without rows
	backendErr *sqlerr.Error // the backend answered with this ERR (already relayed)
}

// failed is the error of a statement whose reply was relayed: a backend ERR
// the client has already received becomes errRelayed, so a multi-statement
// query stops there without sending a second error.
func (r relayed) failed(err error) error {
	if err == nil && r.backendErr != nil {
		return errRelayed{r.backendErr}
	}
	return err
}

// errRelayed is a backend error already relayed to the client.
type errRelayed struct{ err *sqlerr.Error }

func (e errRelayed) Error() string { return e.err.Error() }
func (e errRelayed) Unwrap() error { return e.err }

// abandon gives up backend connections whose results the client will not
// read (it went away mid-result): they are half read, so they are closed
// rather than pooled, and their statements are killed on the backends, which
// would otherwise run them to the end.
func (s *session) abandon(bcs ...*backend.Conn) {
	for _, bc := range bcs {
		if bc.Broken {
			continue
		}
		bc.Broken = true
		go s.srv.killBackendQuery(bc)
	}
}

// relayQuery sends sql to bc with the shard hint and relays the reply.
func (s *session) relayQuery(bc *backend.Conn, sql string, more bool) (relayed, error) {
	if err := bc.SendQuery(mysql.ComQuery, sql); err != nil {
		return relayed{}, err
	}
	return s.relayResult(bc, more)
}

// relayResult copies one reply (all its result sets) from bc to the client,
// packet by packet: a large result streams through the write buffer instead
// of being held in memory. Status flags of final packets are rewritten to the
// session's own (its transaction spans shards; the backend's does not).
func (s *session) relayResult(bc *backend.Conn, more bool) (relayed, error) {
	var res relayed
	s.lastConn = bc
	for {
		p, err := bc.Wire.ReadPacket()
		if err != nil {
			bc.Broken = true
			return res, bc.Lost(err)
		}
		switch p[0] {
		case 0x00:
			ok, _ := mysql.ParseOK(p)
			res.ok, res.warnings = ok, ok.Warnings
			s.rowCount = int64(ok.AffectedRows)
			backendMore := ok.Status&mysql.StatusMoreResults != 0
			s.patchStatus(p, mysql.OKStatusOffset(p), more || backendMore)
			res.started = true
			if err := s.w.WritePacket(p); err != nil {
				if backendMore {
					s.abandon(bc)
				}
				return res, err
			}
			if !backendMore {
				return res, nil
			}
			continue
		case 0xff:
			res.backendErr = bc.Err(p)
			metrics.Error(res.backendErr.Num)
			res.started = true
			s.rowCount = -1
			return res, s.writeErrPacket(res.backendErr) // naming the keyspace, not the database
		case 0xfb:
			// LOAD DATA LOCAL: the backend asks for the client's file; its
			// result follows the file.
			if err := s.localInfile(bc, p); err != nil {
				return res, err
			}
			continue
		}
		res.started = true
		if err := s.w.WritePacket(p); err != nil { // column count
			s.abandon(bc)
			return res, err
		}
		backendMore, err := s.relayRows(bc, more, &res)
		if err != nil || !backendMore {
			return res, err
		}
	}
}

// relayRows copies column definitions, rows and the final EOF of one result
// set into res; it reports whether the backend has more result sets.
func (s *session) relayRows(bc *backend.Conn, more bool, res *relayed) (bool, error) {
	eofs, rows := 0, uint64(0)
	var schemaCols []schemaCol // of an information_schema read
	createDB := false          // SHOW CREATE DATABASE's result, naming the shard's database
	for {
		p, err := bc.Wire.ReadPacket()
		if err != nil {
			bc.Broken = true
			return false, bc.Lost(err)
		}
		if p[0] == 0xff { // the statement failed while sending rows
			res.backendErr = bc.Err(p)
			metrics.Error(res.backendErr.Num)
			s.rowCount = -1
			return false, s.writeErrPacket(res.backendErr)
		}
		if s.showShard != nil {
			switch {
			case eofs == 0:
				p = renameTablesIn(p, s.showShard)
				createDB = createDB || columnNamed(p, "Create Database")
			case eofs == 1 && createDB && !mysql.IsEOF(p):
				p = renameCreateDatabase(p, s.showShard)
			}
		}
		if s.schemaShard != nil && !mysql.IsEOF(p) {
			switch eofs {
			case 0:
				schemaCols = append(schemaCols, schemaColumn(p))
			case 1:
				p = renameSchemaIn(p, schemaCols, s.schemaShard, s.schemaBinary)
			}
		}
		if mysql.IsEOF(p) {
			eofs++
			if eofs == 2 {
				s.rowsFound, s.rowCount = rows, -1
				res.warnings = binary.LittleEndian.Uint16(p[1:])
				backendMore := binary.LittleEndian.Uint16(p[3:])&mysql.StatusMoreResults != 0
				s.patchStatus(p, 3, more || backendMore)
				err := s.w.WritePacket(p)
				if err != nil && backendMore {
					s.abandon(bc)
				}
				return backendMore, err
			}
		} else if eofs == 1 {
			rows++
		}
		if eofs == 0 {
			err = s.w.WritePacketParts(bc.ColumnDef(p))
		} else {
			err = s.w.WritePacket(p)
		}
		if err != nil {
			s.abandon(bc) // the client is gone mid-result
			return false, err
		}
	}
}

// patchStatus overwrites the status flags at p[off:] with the session's,
// keeping the backend's other flags.
func (s *session) patchStatus(p []byte, off int, more bool) {
	if off < 0 || off+2 > len(p) {
		return
	}
	st := binary.LittleEndian.Uint16(p[off:]) &^ (mysql.StatusInTrans | mysql.StatusAutocommit | mysql.StatusMoreResults)
	st |= s.status()
	if more {
		st |= mysql.StatusMoreResults
	}
	binary.LittleEndian.PutUint16(p[off:], st)
}

// localInfile relays a backend's LOAD DATA LOCAL request (p) to the client
// and the file's packets back, up to the empty packet that ends it. A client
// that did not enable local files gets the server's error instead, as from
// MariaDB or MySQL themselves, and the backend an empty file.
func (s *session) localInfile(bc *backend.Conn, p []byte) error {
	if !s.localFiles {
		if err := endFile(bc); err != nil {
			return err
		}
		if _, err := bc.ReadResult(); err != nil {
			return err
		}
		if strings.Contains(bc.Pool.Version(), "MariaDB") {
			return sqlerr.New(4166, "HY000", "The used command is not allowed because the MariaDB server or client has disabled the local infile capability")
		}
		return sqlerr.New(3948, "42000", "Loading local data is disabled; this must be enabled on both the client and server sides")
	}
	if err := s.w.WritePacket(p); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	for {
		data, err := s.w.ReadPacket()
		if err != nil {
			// The client is gone mid-file: the backend connection is in
			// the middle of a command.
			bc.Broken = true
			return err
		}
		if len(data) == 0 {
			return endFile(bc)
		}
		if err := bc.Wire.WritePacket(data); err != nil {
			return bc.Fail(err)
		}
	}
}

// endFile sends the empty packet that ends a LOAD DATA LOCAL file.
func endFile(bc *backend.Conn) error {
	if err := bc.Wire.WritePacket(nil); err != nil {
		return bc.Fail(err)
	}
	if err := bc.Wire.Flush(); err != nil {
		return bc.Fail(err)
	}
	return nil
}

// column describes a column of a result set the sidecar builds itself.
type column struct {
	name  string
	typ   byte
	flags uint16
}

// writeRows sends a one-column text result set built by the sidecar.
func (s *session) writeRows(more bool, col column, rows ...*string) error {
	table := make([][]*string, len(rows))
	for i, r := range rows {
		table[i] = []*string{r}
	}
	return s.writeTable(more, []column{col}, table)
}

// writeTable sends a text result set built by the sidecar (nil = NULL).
func (s *session) writeTable(more bool, cols []column, rows [][]*string) error {
	s.w.WritePacket(mysql.AppendLenEncInt(nil, uint64(len(cols))))
	for _, col := range cols {
		charset := uint16(45) // utf8mb4_general_ci
		typ := col.typ
		if typ == 0 {
			typ = mysql.TypeVarString
		}
		if col.flags&mysql.FlagBinary != 0 {
			charset = 63
		}
		s.w.WritePacket(mysql.AppendColumnDef(nil, col.name, typ, charset, 1024, col.flags))
	}
	s.w.WritePacket(mysql.AppendEOF(nil, 0, s.status()))
	if n := s.rowCap(s.stats.plan); uint64(len(rows)) > n { // a SELECT the sidecar answers
		rows = rows[:n]
	}
	var buf []byte
	for _, row := range rows {
		if s.binaryRows {
			buf = appendLocalBinaryRow(buf[:0], cols, row)
		} else {
			buf = buf[:0]
			for _, v := range row {
				if v == nil {
					buf = append(buf, 0xfb)
				} else {
					buf = mysql.AppendLenEncString(buf, *v)
				}
			}
		}
		s.w.WritePacket(buf)
	}
	return s.endResult(uint64(len(rows)), 0, more)
}

// endResult ends a result set of the sidecar's making that had rows rows,
// which FOUND_ROWS() then returns, as MySQL counts the rows of the last
// result set.
func (s *session) endResult(rows uint64, warnings uint16, more bool) error {
	s.rowsFound, s.rowCount = rows, -1
	st := s.status()
	if more {
		st |= mysql.StatusMoreResults
	}
	return s.w.WritePacket(mysql.AppendEOF(nil, warnings, st))
}

// appendLocalBinaryRow encodes a row of a sidecar-built result set in the binary
// protocol (prepared statements): header, NULL bitmap, then the values,
// integers as 8 bytes, everything else as length-encoded strings.
func appendLocalBinaryRow(b []byte, cols []column, row []*string) []byte {
	b = append(b, 0x00)
	bitmap := len(b)
	b = append(b, make([]byte, (len(cols)+7+2)/8)...)
	for i, v := range row {
		if v == nil {
			pos := i + 2
			b[bitmap+pos/8] |= 1 << (pos % 8)
			continue
		}
		switch cols[i].typ {
		case mysql.TypeLongLong:
			n, _ := strconv.ParseUint(*v, 10, 64)
			b = binary.LittleEndian.AppendUint64(b, n)
			continue
		case mysql.TypeLong:
			n, _ := strconv.ParseUint(*v, 10, 32)
			b = binary.LittleEndian.AppendUint32(b, uint32(n))
			continue
		}
		b = mysql.AppendLenEncString(b, *v)
	}
	return b
}

// schemaCol is a column of an information_schema read: its type, and whether
// it holds a database name (TABLE_SCHEMA, SCHEMA_NAME, …, as the planner's
// conditions on them see it: planner.isSchemaColumn).
type schemaCol struct {
	typ    byte
	schema bool
}

func schemaColumn(def []byte) schemaCol {
	c, ok := mysql.ParseColumn(def)
	spans, _ := mysql.ColumnDefStrings(def)
	if !ok || !strings.EqualFold(string(def[spans[1][0]:spans[1][1]]), "information_schema") {
		return schemaCol{typ: c.Type}
	}
	name := strings.ToLower(c.OrgName)
	return schemaCol{typ: c.Type, schema: strings.HasSuffix(name, "_schema") || name == "schema_name"}
}

// renameSchemaIn shows shard's database as its keyspace in the schema
// columns of a row (text, or binary: header, NULL bitmap, typed values): the
// client sees one database, shop, not its shards' shop_lo. A row that does
// not read as expected is left as it is.
func renameSchemaIn(row []byte, cols []schemaCol, shard *conf.Shard, binaryRow bool) []byte {
	var out []byte
	pos := 0
	if binaryRow {
		pos = 1 + (len(cols)+7+2)/8
		if pos > len(row) {
			return row
		}
	}
	for i, c := range cols {
		if binaryRow && row[1+(i+2)/8]&(1<<((i+2)%8)) != 0 {
			continue // NULL: no value in the row
		}
		typ := c.typ
		if !binaryRow {
			typ = mysql.TypeVarString // every text value is a length-encoded string
			if pos < len(row) && row[pos] == 0xfb {
				if out != nil {
					out = append(out, 0xfb)
				}
				pos++ // NULL
				continue
			}
		}
		size, err := paramSize(typ, row[pos:])
		if err != nil {
			return row
		}
		end := pos + size
		if c.schema && isStringType(typ) {
			if _, _, k, _ := mysql.ReadLenEncInt(row[pos:]); string(row[pos+k:end]) == shard.Database {
				if out == nil {
					out = append(make([]byte, 0, len(row)+len(shard.Keyspace)), row[:pos]...)
				}
				out = mysql.AppendLenEncString(out, shard.Keyspace)
				pos = end
				continue
			}
		}
		if out != nil {
			out = append(out, row[pos:end]...)
		}
		pos = end
	}
	if out == nil {
		return row
	}
	return append(out, row[pos:]...)
}

// isStringType: a binary-protocol value of this type is a length-encoded
// string.
func isStringType(t byte) bool {
	switch t {
	case mysql.TypeVarChar, mysql.TypeVarString, mysql.TypeString, mysql.TypeTinyBlob, mysql.TypeMediumBlob, mysql.TypeLongBlob, mysql.TypeBlob:
		return true
	}
	return false
}

// columnNamed reports the column definition def's name is name.
func columnNamed(def []byte, name string) bool {
	spans, ok := mysql.ColumnDefStrings(def)
	return ok && string(def[spans[4][0]:spans[4][1]]) == name
}

// renameCreateDatabase names the keyspace in a row of SHOW CREATE DATABASE
// where it names the shard's database: its name, and the name in its CREATE
// DATABASE statement. A binary row (a prepared execute's) starts with 0x00
// and the NULL bitmap of two columns (a text row starts with the name's
// length). Any other row stays as it is.
func renameCreateDatabase(row []byte, shard *conf.Shard) []byte {
	var head []byte
	if len(row) > 2 && row[0] == 0x00 {
		head, row = row[:2], row[2:]
	}
	name, _, n1, ok1 := mysql.ReadLenEncInt(row)
	if !ok1 || n1+int(name) > len(row) || string(row[n1:n1+int(name)]) != shard.Database {
		return row
	}
	rest := row[n1+int(name):]
	size, _, n2, ok2 := mysql.ReadLenEncInt(rest)
	if !ok2 || n2+int(size) != len(rest) {
		return row
	}
	create := strings.Replace(string(rest[n2:]), "`"+shard.Database+"`", "`"+shard.Keyspace+"`", 1)
	out := mysql.AppendLenEncString(append([]byte(nil), head...), shard.Keyspace)
	return mysql.AppendLenEncString(out, create)
}

// renameTablesIn names SHOW TABLES' column after the shard's keyspace, as the
// client sees it (Tables_in_customer, not Tables_in_customer_x80): def is a
// column definition, returned unchanged unless its name is Tables_in_<db>….
func renameTablesIn(def []byte, shard *conf.Shard) []byte {
	spans, ok := mysql.ColumnDefStrings(def)
	if !ok {
		return def
	}
	name := spans[4]
	rest, found := strings.CutPrefix(string(def[name[0]:name[1]]), "Tables_in_"+shard.Database)
	if !found || rest != "" && !strings.HasPrefix(rest, " (") { // " (pattern)" of SHOW TABLES LIKE
		return def
	}
	out := mysql.AppendLenEncString(append([]byte(nil), def[:spans[3][1]]...), "Tables_in_"+shard.Keyspace+rest)
	return append(out, def[name[1]:]...)
}
