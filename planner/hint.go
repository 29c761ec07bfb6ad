package planner

import (
	"strconv"
	"strings"
)

// Hint is what a statement's first comment says about routing, read the way
// ProxySQL reads annotations: only the first /* */ comment, split on ';',
// each piece split at its first '=', trimmed, keys case-insensitive, numeric
// values only when they start with a digit.
type Hint struct {
	Keyspace     string
	Shard        string
	Hostgroup    int
	HasHostgroup bool
}

// Present reports whether the comment names a keyspace, shard or hostgroup.
func (h Hint) Present() bool { return h.Keyspace != "" || h.Shard != "" || h.HasHostgroup }

// ParseHint reads the routing hint of sql's first comment, if any.
func ParseHint(sql string) Hint {
	var h Hint
	start := strings.Index(sql, "/*")
	if start < 0 {
		return h
	}
	end := strings.Index(sql[start+2:], "*/")
	if end < 0 {
		return h
	}
	body := sql[start+2 : start+2+end]
	body = strings.TrimPrefix(body, "!")
	for _, piece := range strings.Split(body, ";") {
		key, value, ok := strings.Cut(piece, "=")
		if !ok {
			continue
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		switch key {
		case "keyspace":
			h.Keyspace = value
		case "shard":
			h.Shard = value
		case "hostgroup":
			if value != "" && value[0] >= '0' && value[0] <= '9' {
				end := 0
				for end < len(value) && value[end] >= '0' && value[end] <= '9' {
					end++
				}
				h.Hostgroup, _ = strconv.Atoi(value[:end])
				h.HasHostgroup = true
			}
		}
	}
	return h
}

// parseKill reads `KILL [QUERY | CONNECTION] id`.
func parseKill(sql string) (Kill, bool) {
	w, rest := nextWord(StripLeadingComments(sql))
	if w != "kill" {
		return Kill{}, false
	}
	var k Kill
	switch w2, after := nextWord(rest); w2 {
	case "query":
		k.QueryOnly, rest = true, after
	case "connection":
		rest = after
	}
	id, err := strconv.ParseUint(strings.TrimRight(strings.TrimSpace(rest), "; \t\r\n"), 10, 32)
	if err != nil {
		return Kill{}, false
	}
	k.ID = uint32(id)
	return k, true
}
