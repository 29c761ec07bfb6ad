// Package sqlerr is the one error type of the sidecar: a MySQL error number,
// SQLSTATE and message, as a client receives it in an ERR packet. Backend
// errors keep their own; the sidecar's use the codes a MySQL user expects.
package sqlerr

import (
	"errors"
	"fmt"
)

// Error is a MySQL error.
type Error struct {
	Num     uint16
	State   string
	Message string
}

// New returns an error with a formatted message.
func New(num uint16, state, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Num: num, State: state, Message: format}
	}
	return &Error{Num: num, State: state, Message: fmt.Sprintf(format, args...)}
}

// Error reads as the mysql client prints it.
func (e *Error) Error() string { return fmt.Sprintf("ERROR %d (%s): %s", e.Num, e.State, e.Message) }

// SQLErrorNumber is the MySQL error number; packages that must not import
// this one (vindexes recognising a duplicate, 1062) look for this method.
func (e *Error) SQLErrorNumber() uint16 { return e.Num }

// SQLState is the five-character SQLSTATE.
func (e *Error) SQLState() string { return e.State }

// Unsupported refuses a statement the sidecar cannot answer correctly:
// 1235 (42000) ER_NOT_SUPPORTED_YET, like MySQL's "This version doesn't yet
// support …", naming the construct.
func Unsupported(format string, args ...any) *Error {
	return &Error{Num: 1235, State: "42000", Message: "sidecar does not support " + fmt.Sprintf(format, args...)}
}

// Routing is a failure to find a statement's shard; Vitess sends these as
// 1105 (HY000): "could not map [INT64(6)] to a keyspace id".
func Routing(format string, args ...any) *Error {
	return New(1105, "HY000", format, args...)
}

// Syntax is a statement the parser rejects: 1064 (42000).
func Syntax(format string, args ...any) *Error {
	return New(1064, "42000", format, args...)
}

// PrimaryVindexUpdate is Vitess's refusal of an UPDATE that would change a
// row's keyspace id through vindex (moving the row to another shard).
func PrimaryVindexUpdate(vindex string) *Error {
	return New(1235, "42000", "VT12001: unsupported: you cannot UPDATE primary vindex columns; invalid update on vindex: %s", vindex)
}

// UnknownDatabase is 1049 (42000), for a keyspace or schema that does not
// exist.
func UnknownDatabase(name string) *Error {
	return &Error{Num: 1049, State: "42000", Message: "Unknown database '" + name + "'"}
}

// From returns err as a MySQL error: itself if it is one, the number and
// state of an error that carries them, else 1105 (HY000) with its text.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var coded interface {
		SQLErrorNumber() uint16
		SQLState() string
	}
	if errors.As(err, &coded) {
		return &Error{Num: coded.SQLErrorNumber(), State: coded.SQLState(), Message: err.Error()}
	}
	return &Error{Num: 1105, State: "HY000", Message: err.Error()}
}
