package sandbox

import "encoding/json"

// Paging (protocol §8). Page-based actions read page (default 1) and per_page and answer
// meta {page, limit, total, total_page, has_next, has_prev}. Cursor-based actions read cursor,
// which wins over page when both are sent (the reference client keeps the old page), and answer
// meta {has_next, has_prev, forwards_cursor, backwards_cursor, total, total_page}.

const maxPerPage = 100

// perPage reads a page size parameter: default def, at least 1, at most maxPerPage.
func perPage(p map[string]any, key string, def int) (int, *apiError) {
	n, ok := paramInt(p, key)
	if !ok {
		return def, nil
	}
	if n < 1 {
		return 0, errValidation("Invalid parameters: " + key + ": must be at least 1")
	}
	return min(n, maxPerPage), nil
}

func pageNumber(p map[string]any) (int, *apiError) {
	n, ok := paramInt(p, "page")
	if !ok {
		return 1, nil
	}
	if n < 1 {
		return 0, errValidation("Invalid parameters: page: must be at least 1")
	}
	return n, nil
}

// pageWindow returns the 1-based page and its size.
func pageWindow(p map[string]any, def int) (page, per int, aerr *apiError) {
	if per, aerr = perPage(p, "per_page", def); aerr != nil {
		return 0, 0, aerr
	}
	if page, aerr = pageNumber(p); aerr != nil {
		return 0, 0, aerr
	}
	return page, per, nil
}

func totalPages(total, per int) int { return (total + per - 1) / per }

func pageMeta(page, per, total int) map[string]any {
	tp := totalPages(total, per)
	return map[string]any{
		"page": page, "limit": per, "total": total, "total_page": tp,
		"has_next": page < tp, "has_prev": page > 1,
	}
}

// slice returns items[offset:offset+n], clamped.
func slice[T any](items []T, offset, n int) []T {
	if offset >= len(items) {
		return []T{}
	}
	return items[offset:min(offset+n, len(items))]
}

type cursorState struct {
	Offset int `json:"o"`
}

func encodeCursor(offset int) string {
	b, _ := json.Marshal(cursorState{Offset: offset})
	return b64.EncodeToString(b)
}

// cursorWindow returns the offset and size of the requested window: from cursor when given,
// else from page (page-based access to a cursor action), else the start.
func cursorWindow(p map[string]any, sizeKey string, def int) (offset, per int, aerr *apiError) {
	if per, aerr = perPage(p, sizeKey, def); aerr != nil {
		return 0, 0, aerr
	}
	if cur := paramString(p, "cursor"); cur != "" {
		raw, err := b64.DecodeString(cur)
		var st cursorState
		if err != nil || json.Unmarshal(raw, &st) != nil || st.Offset < 0 {
			return 0, 0, errValidation("Invalid parameters: cursor: not a cursor issued by this server")
		}
		return st.Offset, per, nil
	}
	page, aerr := pageNumber(p)
	if aerr != nil {
		return 0, 0, aerr
	}
	return (page - 1) * per, per, nil
}

func cursorMeta(offset, per, total int) map[string]any {
	m := map[string]any{
		"has_next": offset+per < total, "has_prev": offset > 0,
		"forwards_cursor": nil, "backwards_cursor": nil,
		"total": total, "total_page": totalPages(total, per),
	}
	if offset+per < total {
		m["forwards_cursor"] = encodeCursor(offset + per)
	}
	if offset > 0 {
		m["backwards_cursor"] = encodeCursor(max(0, offset-per))
	}
	return m
}
