package bosaclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"net/http"
)

// ErrNoPage is returned by NextPage/PrevPage when the response has no next/previous page.
var ErrNoPage = errors.New("no such page")

// ActionResponse is the answer of an action: JSON data and meta, or a File. It also carries the request that
// produced it, so that NextPage and PrevPage re-send it with the same options (headers, token, integration,
// attempts, timeout). All paging logic of the module lives in this file (spec §8).
type ActionResponse struct {
	// Data is the decoded "data" of a JSON answer: []any or map[string]any; nil for a file answer, and
	// nil when the call asked for RawData (WithRawData).
	Data any
	// RawData is the undecoded "data" of a JSON answer when the call was made WithRawData (nil when
	// data is absent); Data is then left nil. IsList, Items, Decode and paging work from either.
	RawData json.RawMessage
	// Meta is the decoded "meta" (nil when null or absent).
	Meta map[string]any
	// Status is the HTTP status.
	Status int
	// Header holds the response headers.
	Header http.Header
	// RequestID is the server's X-Request-ID, when well-formed; quote it to support.
	RequestID string
	// ErrorContract is the error contract the server echoed (1 or 2), 0 for an API that predates them.
	ErrorContract int
	// File is set when the action answered with a non-JSON body.
	File *File

	client            *Client
	connector, action string
	params            map[string]any
	cc                *callConfig
}

// Connector returns the connector the response came from.
func (r *ActionResponse) Connector() string { return r.connector }

// Action returns the action the response came from.
func (r *ActionResponse) Action() string { return r.action }

// Params returns a copy of the parameters of the request that produced this response.
func (r *ActionResponse) Params() map[string]any { return maps.Clone(r.params) }

// IsList reports whether Data (or RawData) is an array.
func (r *ActionResponse) IsList() bool {
	if r.RawData != nil {
		// RawData is one valid JSON value with surrounding space trimmed (see decodeAction).
		return len(r.RawData) > 0 && r.RawData[0] == '['
	}
	_, ok := r.Data.([]any)
	return ok
}

// Items returns Data (or RawData, decoded) as a list, or nil when it is not one.
func (r *ActionResponse) Items() []any {
	if r.RawData != nil {
		var l []any
		if !r.IsList() || json.Unmarshal(r.RawData, &l) != nil {
			return nil
		}
		return l
	}
	l, _ := r.Data.([]any)
	return l
}

// Decode unmarshals Data (or RawData) into v (through its JSON form).
func (r *ActionResponse) Decode(v any) error {
	b := []byte(r.RawData)
	if b == nil {
		var err error
		if b, err = json.Marshal(r.Data); err != nil {
			return fmt.Errorf("bosaclient: decode data: %w", err)
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("bosaclient: decode data: %w", err)
	}
	return nil
}

// HasNext reports whether meta says there is a next page (only for list data).
func (r *ActionResponse) HasNext() bool { return r.IsList() && metaBool(r.Meta, "has_next") }

// HasPrev reports whether meta says there is a previous page (only for list data).
func (r *ActionResponse) HasPrev() bool { return r.IsList() && metaBool(r.Meta, "has_prev") }

// NextParams returns the complete parameter object of the request for the next page: the parameters of this
// response's request with cursor set to meta.forwards_cursor, or else page set to meta.page+1. It returns
// false when there is no next page, or when the meta would not advance (NextPage reports that as
// ErrNoProgress).
func (r *ActionResponse) NextParams() (map[string]any, bool) {
	p, err := r.step(true)
	return p, err == nil
}

// PrevParams is NextParams for the previous page (meta.backwards_cursor, or meta.page-1).
func (r *ActionResponse) PrevParams() (map[string]any, bool) {
	p, err := r.step(false)
	return p, err == nil
}

// PageParams is NextParams (forward) or PrevParams with the reason when there is no such request:
// ErrNoPage when meta says there is no next/previous page, ErrNoProgress when it says there is one but
// gives neither a new cursor nor a page number.
func (r *ActionResponse) PageParams(forward bool) (map[string]any, error) { return r.step(forward) }

// step derives the next (forward) or previous request parameters. The error is ErrNoPage or ErrNoProgress.
func (r *ActionResponse) step(forward bool) (map[string]any, error) {
	flag, cursorKey, delta := "has_next", "forwards_cursor", 1.0
	if !forward {
		flag, cursorKey, delta = "has_prev", "backwards_cursor", -1.0
	}
	if !r.IsList() || !metaBool(r.Meta, flag) {
		return nil, ErrNoPage
	}
	p := maps.Clone(r.params)
	if p == nil {
		p = map[string]any{}
	}
	if cur, _ := r.Meta[cursorKey].(string); cur != "" {
		if old, _ := r.params["cursor"].(string); old == cur {
			return nil, fmt.Errorf("%w: %s repeats the cursor of the request", ErrNoProgress, cursorKey)
		}
		p["cursor"] = cur
		return p, nil
	}
	page, ok := metaNumber(r.Meta, "page")
	if !ok || page == 0 {
		return nil, fmt.Errorf("%w: %s is true but meta has neither %s nor page", ErrNoProgress, flag, cursorKey)
	}
	next := page + delta
	if next < 1 {
		return nil, fmt.Errorf("%w: has_prev on page %v", ErrNoProgress, page)
	}
	if old, ok := paramNumber(r.params, "page"); ok && old == next {
		return nil, fmt.Errorf("%w: page %v was already requested", ErrNoProgress, next)
	}
	p["page"] = next
	return p, nil
}

// NextPage fetches the next page. Without one it returns ErrNoPage; when meta says there is one but gives no
// way to reach it, ErrNoProgress.
func (r *ActionResponse) NextPage(ctx context.Context) (*ActionResponse, error) {
	return r.fetch(ctx, true)
}

// PrevPage fetches the previous page (see NextPage).
func (r *ActionResponse) PrevPage(ctx context.Context) (*ActionResponse, error) {
	return r.fetch(ctx, false)
}

func (r *ActionResponse) fetch(ctx context.Context, forward bool) (*ActionResponse, error) {
	p, err := r.step(forward)
	if err != nil {
		return nil, fmt.Errorf("bosaclient: %s/%s: %w", r.connector, r.action, err)
	}
	if r.client == nil {
		return nil, fmt.Errorf("bosaclient: response not produced by a client: %w", ErrNoPage)
	}
	return r.client.execute(ctx, r.connector, r.action, p, r.cc.clone())
}

// Pages iterates over this page and the following ones, at most the client's max pages (WithMaxPages).
// An error ends the iteration after being yielded once: ErrTooManyPages when the bound is reached with pages
// left, ErrNoProgress when the server would make paging loop.
func (r *ActionResponse) Pages(ctx context.Context) iter.Seq2[*ActionResponse, error] {
	return func(yield func(*ActionResponse, error) bool) {
		maxPages := DefaultMaxPages
		if r.client != nil {
			maxPages = r.client.maxPages
		}
		seen := map[string]bool{pageKey(r.params): true}
		cur := r
		for n := 1; ; n++ {
			if !yield(cur, nil) {
				return
			}
			if !cur.HasNext() {
				return
			}
			if n >= maxPages {
				yield(nil, fmt.Errorf("bosaclient: %s/%s: %w (%d)", r.connector, r.action, ErrTooManyPages, maxPages))
				return
			}
			p, err := cur.step(true)
			if err == nil && seen[pageKey(p)] {
				err = fmt.Errorf("%w: the server led back to an already fetched page", ErrNoProgress)
			}
			if err != nil {
				yield(nil, fmt.Errorf("bosaclient: %s/%s: %w", r.connector, r.action, err))
				return
			}
			seen[pageKey(p)] = true
			if cur.client == nil {
				yield(nil, fmt.Errorf("bosaclient: response not produced by a client: %w", ErrNoPage))
				return
			}
			next, err := cur.client.execute(ctx, cur.connector, cur.action, p, cur.cc.clone())
			if err != nil {
				yield(nil, err)
				return
			}
			cur = next
		}
	}
}

// AllItems returns the items of this page and of every following page (like the SDK's get_all_items),
// bounded by the client's max pages. On error it returns the items gathered so far with the error.
func (r *ActionResponse) AllItems(ctx context.Context) ([]any, error) {
	if !r.IsList() {
		return nil, fmt.Errorf("bosaclient: %s/%s: data is not a list", r.connector, r.action)
	}
	var items []any
	for page, err := range r.Pages(ctx) {
		if err != nil {
			return items, err
		}
		items = append(items, page.Items()...)
	}
	return items, nil
}

// pageKey identifies a page request by its cursor and page.
func pageKey(p map[string]any) string {
	c, _ := p["cursor"].(string)
	n, _ := paramNumber(p, "page")
	return fmt.Sprintf("%q/%v", c, n)
}

func metaBool(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func metaNumber(m map[string]any, k string) (float64, bool) { return paramNumber(m, k) }

func paramNumber(m map[string]any, k string) (float64, bool) {
	switch t := m[k].(type) {
	case float64:
		return t, !math.IsNaN(t)
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}
