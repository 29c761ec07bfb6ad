package sidecar

import "strconv"

func itoa(n int) string { return strconv.Itoa(n) }

// collationNames maps the handshake collation ids clients commonly send to
// the SET NAMES that gives a backend connection the same character set.
var collationNames = map[uint8]string{
	8:   "SET NAMES latin1 COLLATE latin1_swedish_ci",
	11:  "SET NAMES ascii COLLATE ascii_general_ci",
	28:  "SET NAMES gbk COLLATE gbk_chinese_ci",
	33:  "SET NAMES utf8mb3 COLLATE utf8mb3_general_ci",
	45:  defaultNames,
	46:  "SET NAMES utf8mb4 COLLATE utf8mb4_bin",
	47:  "SET NAMES latin1 COLLATE latin1_bin",
	63:  "SET NAMES binary",
	83:  "SET NAMES utf8mb3 COLLATE utf8mb3_bin",
	192: "SET NAMES utf8mb3 COLLATE utf8mb3_unicode_ci",
	224: "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci",
	// MySQL 8's default; MariaDB has no utf8mb4_0900_ai_ci, so keep the
	// character set and let the server pick its collation.
	255: "SET NAMES utf8mb4",
}

func namesForCollation(id uint8) string {
	if n, ok := collationNames[id]; ok {
		return n
	}
	return defaultNames
}
