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
