// Package jsonlex is the JSON lexer under the gateway's hand-written JSON readers: the conversion
// of upstream answers to google.protobuf.Value and protobuf wire bytes (server) and the splitting
// of the {"data": …, "meta": …} envelope (bosaclient), which exist to save CPU on every call.
//
// A Lexer moves over one buffer: whitespace, literals, strings, numbers, object keys, the commas
// and closing brackets between elements, and nesting, with encoding/json's verdicts on what is
// valid (RFC 8259; invalid UTF-8 in strings is accepted, and becomes U+FFFD when decoded; nesting
// at most MaxDepth deep). The readers build their own values from the offsets it reports. Its
// errors only say where the text went wrong: a reader that refuses input returns encoding/json's
// own error for it.
package jsonlex

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxDepth is encoding/json's nesting limit: objects and arrays nested deeper are refused.
const MaxDepth = 10000

// ErrDepth is the error for JSON nested deeper than MaxDepth.
var ErrDepth = errors.New("exceeded max depth")

// Lexer reads the JSON text B from offset I. Its methods move I past what they read.
type Lexer struct {
	B []byte
	I int
}

// Syntax returns a syntax error at I; where says what was being read.
func (l *Lexer) Syntax(where string) error {
	if l.I >= len(l.B) {
		return fmt.Errorf("unexpected end of JSON input %s", where)
	}
	return fmt.Errorf("invalid character %q at offset %d %s", l.B[l.I], l.I, where)
}

// Space moves past whitespace.
func (l *Lexer) Space() {
	for l.I < len(l.B) {
		switch l.B[l.I] {
		case ' ', '\t', '\n', '\r':
			l.I++
		default:
			return
		}
	}
}

// Peek moves past whitespace and returns the next byte, or 0 at the end of the input.
func (l *Lexer) Peek() byte {
	if l.I < len(l.B) && l.B[l.I] > ' ' {
		return l.B[l.I] // no whitespace, the common case
	}
	l.Space()
	if l.I >= len(l.B) {
		return 0
	}
	return l.B[l.I]
}

// End checks that nothing but whitespace follows the top-level value.
func (l *Lexer) End() error {
	if l.Peek(); l.I != len(l.B) {
		return l.Syntax("after top-level value")
	}
	return nil
}

// Open moves past the '{' or '[' at I (after whitespace) that begins an object or array nested
// depth deep (inside depth objects and arrays, 0 at the top level) and returns the byte that closes
// it. An object or array inside MaxDepth others is ErrDepth.
func (l *Lexer) Open(depth int) (closer byte, err error) {
	switch l.Peek() {
	case '{':
		closer = '}'
	case '[':
		closer = ']'
	default:
		return 0, l.Syntax("looking for an object or array")
	}
	if depth >= MaxDepth {
		return 0, ErrDepth
	}
	l.I++
	return closer, nil
}

// Close moves past closer if it is next (after whitespace), reporting whether it was: after Open,
// whether the object or array is empty.
func (l *Lexer) Close(closer byte) bool {
	if l.Peek() == closer {
		l.I++
		return true
	}
	return false
}

// More moves past what follows an element of an object or array that closer ends: a comma, when
// it reports true (another element follows), or closer.
func (l *Lexer) More(closer byte) (bool, error) {
	switch l.Peek() {
	case ',':
		l.I++
		return true, nil
	case closer:
		l.I++
		return false, nil
	}
	return false, l.Syntax("after element")
}

// Key reads an object key and the colon after it. The key's string literal is B[start:end]; plain
// reports that its content, B[start+1:end-1], needs no decoding (see Scalar).
func (l *Lexer) Key() (start, end int, plain bool, err error) {
	if l.Peek() != '"' {
		return 0, 0, false, l.Syntax("looking for an object key")
	}
	start = l.I
	if plain, err = l.str(); err != nil {
		return 0, 0, false, err
	}
	end = l.I
	if l.Peek() != ':' {
		return 0, 0, false, l.Syntax("after object key")
	}
	l.I++
	return start, end, plain, nil
}

// Scalar moves past the string, number, true, false or null at I (after whitespace), which starts
// at start, and returns its kind: '"', '0' (a number), 't', 'f' or 'n'. A string is plain when it
// has no escapes and is valid UTF-8: its content is then B[start+1:I-1] verbatim, else Unquote
// decodes it. A number is only checked against the grammar (strconv.ParseFloat reads it).
func (l *Lexer) Scalar() (kind byte, start int, plain bool, err error) {
	c := l.Peek()
	start = l.I
	switch {
	case c == '"':
		plain, err = l.str()
		return c, start, plain, err
	case c == '-' || isDigit(c):
		return '0', start, false, l.number()
	case c == 't':
		return c, start, false, l.literal("true")
	case c == 'f':
		return c, start, false, l.literal("false")
	case c == 'n':
		return c, start, false, l.literal("null")
	}
	return 0, start, false, l.Syntax("looking for a value")
}

// SkipValue moves past the value at I (after whitespace), nested depth deep (see Open).
func (l *Lexer) SkipValue(depth int) error {
	if c := l.Peek(); c != '{' && c != '[' {
		_, _, _, err := l.Scalar()
		return err
	}
	closer, err := l.Open(depth)
	if err != nil || l.Close(closer) {
		return err
	}
	for more := true; more; {
		if closer == '}' {
			if _, _, _, err := l.Key(); err != nil {
				return err
			}
		}
		if err := l.SkipValue(depth + 1); err != nil {
			return err
		}
		if more, err = l.More(closer); err != nil {
			return err
		}
	}
	return nil
}

// Unquote decodes the string literal B[start:end] (as Key or Scalar reported it) as encoding/json
// does: escapes resolved, invalid UTF-8 and lone surrogates replaced by U+FFFD.
func (l *Lexer) Unquote(start, end int) (string, error) {
	var s string
	if err := json.Unmarshal(l.B[start:end], &s); err != nil {
		return "", err
	}
	return s, nil
}

func (l *Lexer) literal(lit string) error {
	if len(l.B)-l.I < len(lit) || string(l.B[l.I:l.I+len(lit)]) != lit {
		return l.Syntax("in literal " + lit)
	}
	l.I += len(lit)
	return nil
}

// str moves past the string literal at I and reports whether it is plain (no escapes, valid UTF-8).
func (l *Lexer) str() (plain bool, err error) {
	start := l.I
	l.I++ // "
	ascii := true
	for l.I < len(l.B) {
		c := l.B[l.I]
		switch {
		case plainASCII[c]:
		case c == '"':
			l.I++
			return ascii || utf8.Valid(l.B[start+1:l.I-1]), nil
		case c == '\\':
			return false, l.escapedStr()
		case c < 0x20:
			return false, l.Syntax("in string literal")
		default:
			ascii = false
		}
		l.I++
	}
	return false, l.Syntax("in string literal")
}

// plainASCII holds the bytes that stand for themselves in a string literal: ASCII but for control
// characters, the quote and the backslash.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escapedStr moves past the rest of a string literal with escapes, I being at a backslash.
func (l *Lexer) escapedStr() error {
	for l.I < len(l.B) {
		switch c := l.B[l.I]; {
		case c == '\\':
			l.I++
			if l.I >= len(l.B) {
				return l.Syntax("in string escape code")
			}
			switch l.B[l.I] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				l.I++
			case 'u':
				l.I++
				for range 4 {
					if l.I >= len(l.B) || !isHex(l.B[l.I]) {
						return l.Syntax("in \\u hexadecimal character escape")
					}
					l.I++
				}
			default:
				return l.Syntax("in string escape code")
			}
		case c == '"':
			l.I++
			return nil
		case c < 0x20:
			return l.Syntax("in string literal")
		default:
			l.I++
		}
	}
	return l.Syntax("in string literal")
}

// number moves past a number literal (RFC 8259 grammar) at I.
func (l *Lexer) number() error {
	if l.B[l.I] == '-' {
		l.I++
	}
	switch {
	case l.I < len(l.B) && l.B[l.I] == '0':
		l.I++
	case l.I < len(l.B) && l.B[l.I] >= '1' && l.B[l.I] <= '9':
		l.digits()
	default:
		return l.Syntax("in numeric literal")
	}
	if l.I < len(l.B) && l.B[l.I] == '.' {
		l.I++
		if l.I >= len(l.B) || !isDigit(l.B[l.I]) {
			return l.Syntax("after decimal point in numeric literal")
		}
		l.digits()
	}
	if l.I < len(l.B) && (l.B[l.I] == 'e' || l.B[l.I] == 'E') {
		l.I++
		if l.I < len(l.B) && (l.B[l.I] == '+' || l.B[l.I] == '-') {
			l.I++
		}
		if l.I >= len(l.B) || !isDigit(l.B[l.I]) {
			return l.Syntax("in exponent of numeric literal")
		}
		l.digits()
	}
	return nil
}

func (l *Lexer) digits() {
	for l.I < len(l.B) && isDigit(l.B[l.I]) {
		l.I++
	}
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
