package bosaclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// splitEnvelope finds the raw "data" and "meta" values of an action answer in one validating pass,
// with json.Unmarshal's verdict on what it accepts into struct{Data, Meta json.RawMessage}: the body
// must be one JSON value, an object (or null, which has neither); keys match case-insensitively and
// a later key wins; other keys are checked and skipped. Numbers are checked for syntax only, as a
// json.RawMessage is. The returned slices alias body.
func splitEnvelope(body []byte) (data, meta []byte, err error) {
	if data, meta, err = scanEnvelope(body); err != nil {
		// encoding/json's own error (a *json.SyntaxError, say), which callers may inspect.
		var env struct{ Data, Meta json.RawMessage }
		if refErr := json.Unmarshal(body, &env); refErr != nil {
			return nil, nil, refErr
		}
	}
	return data, meta, err
}

func scanEnvelope(body []byte) (data, meta []byte, err error) {
	s := envScanner{b: body}
	s.space()
	if s.i >= len(s.b) {
		return nil, nil, s.syntax("looking for beginning of value")
	}
	switch s.b[s.i] {
	case '{':
	case 'n':
		if err := s.literal("null"); err != nil {
			return nil, nil, err
		}
		return nil, nil, s.end()
	default:
		if err := s.value(0); err != nil {
			return nil, nil, err
		}
		if err := s.end(); err != nil {
			return nil, nil, err
		}
		return nil, nil, errors.New("json: cannot unmarshal a non-object answer into the response envelope")
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil, nil, s.end()
	}
	for {
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return nil, nil, s.syntax("looking for beginning of object key string")
		}
		start := s.i
		escaped, err := s.str()
		if err != nil {
			return nil, nil, err
		}
		key := string(s.b[start+1 : s.i-1])
		if escaped {
			if err := json.Unmarshal(s.b[start:s.i], &key); err != nil {
				return nil, nil, err
			}
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return nil, nil, s.syntax("after object key")
		}
		s.i++
		s.space()
		vstart := s.i
		if err := s.value(1); err != nil {
			return nil, nil, err
		}
		switch {
		case strings.EqualFold(key, "data"):
			data = s.b[vstart:s.i]
		case strings.EqualFold(key, "meta"):
			meta = s.b[vstart:s.i]
		}
		s.space()
		if s.i >= len(s.b) {
			return nil, nil, s.syntax("after object key:value pair")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return data, meta, s.end()
		default:
			return nil, nil, s.syntax("after object key:value pair")
		}
	}
}

// maxEnvelopeDepth is encoding/json's nesting limit.
const maxEnvelopeDepth = 10000

// envScanner validates JSON text without decoding it.
type envScanner struct {
	b []byte
	i int
}

func (s *envScanner) syntax(where string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("unexpected end of JSON input %s", where)
	}
	return fmt.Errorf("invalid character %q %s", s.b[s.i], where)
}

func (s *envScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// end checks that only space follows the top-level value.
func (s *envScanner) end() error {
	s.space()
	if s.i != len(s.b) {
		return s.syntax("after top-level value")
	}
	return nil
}

func (s *envScanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.syntax("in literal " + lit)
	}
	s.i += len(lit)
	return nil
}

// value skips one value at s.i (after space), nested depth deep.
func (s *envScanner) value(depth int) error {
	s.space()
	if s.i >= len(s.b) {
		return s.syntax("looking for beginning of value")
	}
	switch c := s.b[s.i]; {
	case c == '{' || c == '[':
		if depth >= maxEnvelopeDepth {
			return errors.New("exceeded max depth")
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		s.i++
		s.space()
		if s.i < len(s.b) && s.b[s.i] == closer {
			s.i++
			return nil
		}
		for {
			if c == '{' {
				s.space()
				if s.i >= len(s.b) || s.b[s.i] != '"' {
					return s.syntax("looking for beginning of object key string")
				}
				if _, err := s.str(); err != nil {
					return err
				}
				s.space()
				if s.i >= len(s.b) || s.b[s.i] != ':' {
					return s.syntax("after object key")
				}
				s.i++
			}
			if err := s.value(depth + 1); err != nil {
				return err
			}
			s.space()
			if s.i >= len(s.b) {
				return s.syntax("after element")
			}
			if s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.b[s.i] == closer {
				s.i++
				return nil
			}
			return s.syntax("after element")
		}
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.syntax("looking for beginning of value")
}

// str skips a string literal at s.i and reports whether it has escapes. Invalid UTF-8 is
// accepted, as encoding/json does.
func (s *envScanner) str() (escaped bool, err error) {
	s.i++ // "
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return escaped, nil
		case c == '\\':
			escaped = true
			s.i++
			if s.i >= len(s.b) {
				return false, s.syntax("in string escape code")
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for range 4 {
					if s.i >= len(s.b) || !isHexDigit(s.b[s.i]) {
						return false, s.syntax("in \\u hexadecimal character escape")
					}
					s.i++
				}
			default:
				return false, s.syntax("in string escape code")
			}
		case c < 0x20:
			return false, s.syntax("in string literal")
		default:
			s.i++
		}
	}
	return false, s.syntax("in string literal")
}

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number skips a number literal (RFC 8259 grammar) at s.i.
func (s *envScanner) number() error {
	if s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	default:
		return s.syntax("in numeric literal")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return s.syntax("after decimal point in numeric literal")
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return s.syntax("in exponent of numeric literal")
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	return nil
}
