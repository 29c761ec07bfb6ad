package mysql

import "testing"

func TestSumInfo(t *testing.T) {
	for _, c := range []struct {
		infos []string
		want  string
	}{
		{[]string{"Rows matched: 3  Changed: 1  Warnings: 0", "Rows matched: 1  Changed: 1  Warnings: 2"}, "Rows matched: 4  Changed: 2  Warnings: 2"},
		{[]string{"Records: 2  Duplicates: 0  Warnings: 0", "Records: 3  Duplicates: 1  Warnings: 0"}, "Records: 5  Duplicates: 1  Warnings: 0"},
		{[]string{"Rows matched: 1  Changed: 1  Warnings: 0"}, "Rows matched: 1  Changed: 1  Warnings: 0"},
		{[]string{"Records: 2  Duplicates: 0  Warnings: 0", ""}, ""},
		{[]string{"Rows matched: 1  Changed: 1  Warnings: 0", "Records: 2  Duplicates: 0  Warnings: 0"}, ""},
		{[]string{"", ""}, ""},
		{nil, ""},
	} {
		if got := SumInfo(c.infos); got != c.want {
			t.Errorf("SumInfo(%q) = %q, want %q", c.infos, got, c.want)
		}
	}
}

// TestOKInfo: an OK packet's info is length-encoded, as MariaDB sends it, session state changes
// after it; one sent as the rest of the packet is read as such. Written, it is length-encoded.
func TestOKInfo(t *testing.T) {
	info := "Rows matched: 12  Changed: 10  Warnings: 0"
	head := []byte{0x00, 10, 0, 0x02, 0x00, 0x00, 0x00}
	for _, tc := range []struct {
		name string
		p    []byte
	}{
		{"length-encoded", AppendLenEncString(head, info)},
		{"length-encoded, session state after it", append(AppendLenEncString(head, info), 0x05, 0x00, 0x03, 0x01, 'x')},
		{"the rest of the packet", append(head, info...)},
	} {
		ok, good := ParseOK(append([]byte(nil), tc.p...))
		if !good || ok.Info != info || ok.AffectedRows != 10 {
			t.Errorf("%s: %+v", tc.name, ok)
		}
	}
	if got, want := AppendOK(nil, OK{AffectedRows: 10, Status: 0x02, Info: info}), AppendLenEncString(head, info); string(got) != string(want) {
		t.Errorf("AppendOK: % x, want % x", got, want)
	}
	if got := AppendOK(nil, OK{AffectedRows: 10, Status: 0x02}); string(got) != string(head) {
		t.Errorf("AppendOK without info: % x, want % x", got, head)
	}
}

// TestOKSessionState: an OK with a session state change flags it and sends the (empty) info before
// it, as MariaDB does for a client that tracks its session.
func TestOKSessionState(t *testing.T) {
	got := AppendOK(nil, OK{Status: StatusAutocommit, SessionState: SchemaChange("mk")})
	want := []byte{0x00, 0, 0, 0x02, 0x40, 0, 0, 0x00, 5, 0x01, 3, 2, 'm', 'k'}
	if string(got) != string(want) {
		t.Errorf("AppendOK: % x, want % x", got, want)
	}
}
