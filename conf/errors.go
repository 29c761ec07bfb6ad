package conf

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a config or VSchema file: where (file, key
// path, line when known) and what.
type Problem struct {
	File string // the file as the user named it (config path, or vschema path joined to its directory)
	Path string // key path inside File: keyspaces.things.shards, tables.t.column_vindexes[1].name
	Line int    // 1-based line of Path in File; 0 if unknown
	Msg  string
}

// Error prints "file: path: message (line N)", so the file and key path come
// first and read like the YAML/JSON they point at.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	if p.Line > 0 {
		b.WriteString(" (line ")
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteString(")")
	}
	return b.String()
}

// Errors is every problem Load found, in file order. Error() lists one per
// line, so `sidecar check` prints them all at once.
type Errors []Problem

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is/As look at each problem.
func (e Errors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, p := range e {
		errs[i] = p
	}
	return errs
}

// source is one file being read: problems found in it are reported with its
// name and, when the key path was seen while walking the document, its line.
type source struct {
	file  string
	lines map[string]int // key path → line
	base  string         // path prefix inside file (inline vschema: keyspaces.x.vschema)
	r     *reporter
}

// reporter collects problems and warnings from every file of one Load.
type reporter struct {
	errs     Errors
	warnings []string
}

func (r *reporter) newSource(file string) *source {
	return &source{file: file, lines: map[string]int{}, r: r}
}

// sub returns a view of s for a document nested at path (an inline vschema):
// paths given to it are relative to path, problems print the full path.
func (s *source) sub(path string) *source {
	return &source{file: s.file, lines: s.lines, base: joinPath(s.base, path), r: s.r}
}

func (s *source) problem(path, format string, args ...any) Problem {
	full := joinPath(s.base, path)
	return Problem{File: s.file, Path: full, Line: s.lineOf(full), Msg: fmt.Sprintf(format, args...)}
}

// errorf records a problem at path (relative to s's base).
func (s *source) errorf(path, format string, args ...any) {
	s.r.errs = append(s.r.errs, s.problem(path, format, args...))
}

// errorAt records a problem whose line is known from the parser.
func (s *source) errorAt(line int, path, format string, args ...any) {
	p := s.problem(path, format, args...)
	if line > 0 {
		p.Line = line
	}
	s.r.errs = append(s.r.errs, p)
}

// warnf records a warning at path; warnings don't fail Load.
func (s *source) warnf(path, format string, args ...any) {
	s.r.warnings = append(s.r.warnings, s.problem(path, format, args...).Error())
}

// lineOf returns the line of path or of its nearest ancestor that was seen.
func (s *source) lineOf(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := s.lines[p]; ok {
			return l
		}
	}
	return 0
}

// join appends a key to a key path. Keys that would make the path ambiguous
// (dots, brackets, blanks, empty) are quoted: shards["a.b"].
func join(path, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" \t\n") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// joinPath concatenates two already formed paths.
func joinPath(base, rel string) string {
	switch {
	case base == "":
		return rel
	case rel == "":
		return base
	case strings.HasPrefix(rel, "["):
		return base + rel
	}
	return base + "." + rel
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// parentPath drops the last element of a key path ("" at the top).
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndex(p, "["); i >= 0 {
			// a quoted key may itself contain '[': find the bracket that starts the element
			if q := strings.LastIndex(p, "[\""); q >= 0 && strings.HasSuffix(p, "\"]") {
				i = q
			}
			return p[:i]
		}
	}
	if i := strings.LastIndex(p, "."); i >= 0 {
		return p[:i]
	}
	return ""
}
