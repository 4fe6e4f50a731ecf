package bosaclient

import (
	"encoding/json"
	"errors"
	"strings"

	"bosa.dev/gateway/internal/jsonlex"
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
	l := jsonlex.Lexer{B: body}
	if l.Peek() != '{' {
		start := l.I
		if err := l.SkipValue(0); err != nil {
			return nil, nil, err
		}
		if err := l.End(); err != nil || body[start] == 'n' {
			return nil, nil, err // null has neither data nor meta
		}
		return nil, nil, errors.New("json: cannot unmarshal a non-object answer into the response envelope")
	}
	closer, err := l.Open(0)
	if err != nil {
		return nil, nil, err
	}
	for more := !l.Close(closer); more; {
		start, end, plain, err := l.Key()
		if err != nil {
			return nil, nil, err
		}
		key := string(body[start+1 : end-1])
		if !plain {
			if key, err = l.Unquote(start, end); err != nil {
				return nil, nil, err
			}
		}
		l.Space()
		value := l.I
		if err := l.SkipValue(1); err != nil {
			return nil, nil, err
		}
		switch {
		case strings.EqualFold(key, "data"):
			data = body[value:l.I]
		case strings.EqualFold(key, "meta"):
			meta = body[value:l.I]
		}
		if more, err = l.More(closer); err != nil {
			return nil, nil, err
		}
	}
	return data, meta, l.End()
}
