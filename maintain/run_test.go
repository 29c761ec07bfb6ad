package maintain

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"sidecar/vindex"
)

// The throttle keeps the average rate since the start: 100 rows at 1000 rows/s are due 100ms in.
func TestThrottle(t *testing.T) {
	start := time.Unix(1000, 0)
	now := start
	var slept []time.Duration
	th := throttle{rate: 1000, start: start, now: func() time.Time { return now },
		sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); now = now.Add(d); return nil }}
	ctx := context.Background()
	_ = th.wait(ctx, 100)
	now = now.Add(30 * time.Millisecond) // the next batch took 30ms
	_ = th.wait(ctx, 100)
	now = now.Add(500 * time.Millisecond) // a slow batch: no sleep after it
	_ = th.wait(ctx, 100)
	want := []time.Duration{100 * time.Millisecond, 70 * time.Millisecond}
	if len(slept) != len(want) || slept[0] != want[0] || slept[1] != want[1] {
		t.Errorf("slept %v, want %v", slept, want)
	}
	unlimited := throttle{now: time.Now, sleep: func(context.Context, time.Duration) error { t.Error("slept without a rate"); return nil }}
	_ = unlimited.wait(ctx, 1e6)
}

func TestRetry(t *testing.T) {
	r := newRun("test", "x", Options{})
	ctx := context.Background()
	lockWait := &shardError{shard: "ks/-80", err: &mysql.MyError{Code: erLockWaitTimeout, Message: "Lock wait timeout exceeded"}}
	n := 0
	if err := r.retry(ctx, func() error {
		if n++; n < 3 {
			return lockWait
		}
		return nil
	}); err != nil || n != 3 {
		t.Errorf("lock wait twice then success: %v after %d calls", err, n)
	}
	n = 0
	syntax := &shardError{shard: "ks/-80", err: &mysql.MyError{Code: 1064, Message: "syntax"}}
	if err := r.retry(ctx, func() error { n++; return syntax }); !errors.Is(err, syntax) || n != 1 {
		t.Errorf("a syntax error is tried again: %v after %d calls", err, n)
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&shardError{err: &mysql.MyError{Code: erLockDeadlock}}, true},
		{&shardError{err: &mysql.MyError{Code: erDupEntry}}, true},
		{&shardError{err: errors.New("connection reset by peer")}, true},
		{&shardError{err: &mysql.MyError{Code: 1146}}, false},
		{context.Canceled, false},
		{errors.New("a refusal"), false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v", tc.err, got)
		}
	}
}

// Rows read from a shard are typed as the vindexes read them.
func TestToValue(t *testing.T) {
	for _, tc := range []struct {
		f    mysql.Field
		fv   mysql.FieldValue
		want vindex.Value
	}{
		{mysql.Field{Type: mysql.MYSQL_TYPE_LONGLONG}, mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(1<<64-1), nil), vindex.NewInt64(-1)},
		{mysql.Field{Type: mysql.MYSQL_TYPE_LONGLONG, Flag: mysql.UNSIGNED_FLAG}, mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, 1<<64-1, nil), vindex.NewUint64(1<<64 - 1)},
		{mysql.Field{Type: mysql.MYSQL_TYPE_VARCHAR, Charset: 45}, mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte("foo")), vindex.NewVarChar("foo")},
		{mysql.Field{Type: mysql.MYSQL_TYPE_VAR_STRING, Charset: 63}, mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte{0x16, 0x6b}), vindex.NewVarBinary([]byte{0x16, 0x6b})},
		{mysql.Field{Type: mysql.MYSQL_TYPE_NEWDECIMAL, Charset: 63}, mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte("1.50")), vindex.Value{Kind: vindex.Decimal, Raw: []byte("1.50")}},
		{mysql.Field{Type: mysql.MYSQL_TYPE_DATETIME, Charset: 63}, mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte("2024-01-02 03:04:05")), vindex.NewVarChar("2024-01-02 03:04:05")},
		{mysql.Field{Type: mysql.MYSQL_TYPE_VARCHAR}, mysql.NewFieldValue(mysql.FieldValueTypeNull, 0, nil), vindex.Value{Kind: vindex.Null}},
	} {
		got := toValue(&tc.f, &tc.fv)
		if got.Kind != tc.want.Kind || string(got.Raw) != string(tc.want.Raw) {
			t.Errorf("toValue(type %d, %v) = %v, want %v", tc.f.Type, tc.fv.String(), got, tc.want)
		}
	}
}
