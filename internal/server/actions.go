package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/shape"
)

// actionService implements bosav1.ActionServiceServer. Paging logic (deriving the next request from
// meta) is bosaclient's; this file only turns it into page tokens and a stream.
type actionService struct {
	bosav1.UnimplementedActionServiceServer
	*services
}

// actionInput is what ExecuteActionRequest and PaginateRequest have in common.
type actionInput interface {
	GetConnector() string
	GetAction() string
	GetInput() *structpb.Struct
	GetFiles() []*bosav1.File
	GetResponseFields() []string
	GetResponseFilters() []*bosav1.ResponseFilter
	GetMaxAttempts() int32
	GetPageToken() string
}

// ExecuteAction runs one action.
func (s *actionService) ExecuteAction(ctx context.Context, req *bosav1.ExecuteActionRequest) (*bosav1.ExecuteActionResponse, error) {
	params, opts, err := s.prepare(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	r, err := s.client.Execute(ctx, req.GetConnector(), req.GetAction(), params, opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	out, err := resultMessage(r)
	if err != nil || r.File != nil {
		return out, toStatus(err)
	}
	if p, ok := r.NextParams(); ok {
		if out.NextPageToken, err = s.tokens.encode(req.GetConnector(), req.GetAction(), p); err != nil {
			return nil, toStatus(err)
		}
	}
	if p, ok := r.PrevParams(); ok {
		if out.PrevPageToken, err = s.tokens.encode(req.GetConnector(), req.GetAction(), p); err != nil {
			return nil, toStatus(err)
		}
	}
	return out, nil
}

// resultMessage converts an action's answer, file or data and meta, without page tokens.
func resultMessage(r *bosaclient.ActionResponse) (*bosav1.ExecuteActionResponse, error) {
	out := &bosav1.ExecuteActionResponse{UpstreamStatus: int32(r.Status)}
	if r.File != nil {
		out.Result = &bosav1.ExecuteActionResponse_File{File: &bosav1.File{
			Filename: r.File.Filename, ContentType: r.File.ContentType, Data: r.File.Data,
		}}
		return out, nil
	}
	if r.RawData != nil {
		// Data goes from JSON straight to its wire form (see dataWire); the REST face writes JSON
		// from that form (restMarshaler), other in-process callers get it decoded (directConn).
		wire, err := dataWire(r.RawData)
		if err != nil {
			return nil, err
		}
		out.ProtoReflect().SetUnknown(wire)
		if r.Meta != nil {
			if out.Meta, err = structpb.NewStruct(r.Meta); err != nil {
				return nil, fmt.Errorf("convert meta: %w", err)
			}
		}
		return out, nil
	}
	data, meta, err := dataAndMeta(r)
	if err != nil {
		return nil, err
	}
	out.Result = &bosav1.ExecuteActionResponse_Data{Data: data}
	out.Meta = meta
	return out, nil
}

// page is one fetched page, or the error that ended fetching.
type page struct {
	resp *bosaclient.ActionResponse
	err  error
}

// Paginate streams pages. With prefetch > 0 a producer goroutine fetches ahead into a buffer of that
// many pages while the caller consumes; it stops as soon as the stream's context ends.
func (s *actionService) Paginate(req *bosav1.PaginateRequest, stream bosav1.ActionService_PaginateServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	params, opts, err := s.prepare(ctx, req)
	if err != nil {
		return toStatus(err)
	}
	if err := checkEnum("direction", req.GetDirection()); err != nil {
		return toStatus(err)
	}
	forward := req.GetDirection() != bosav1.Direction_DIRECTION_BACKWARD
	maxPages := s.maxPages
	if n := int(req.GetMaxPages()); n > 0 && n < maxPages {
		maxPages = n
	}
	if req.GetMaxPages() < 0 {
		return toStatus(invalidRequest("max_pages", "must not be negative"))
	}
	prefetch := int(req.GetPrefetch())
	if prefetch < 0 {
		return toStatus(invalidRequest("prefetch", "must not be negative"))
	}
	prefetch = min(prefetch, s.maxPrefetch)

	files := filesOf(params)
	pages := make(chan page, prefetch)
	// Without prefetch the producer waits for an ack of each sent page before fetching the next.
	var acks chan struct{}
	if prefetch == 0 {
		acks = make(chan struct{}, 1)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(pages)
		s.fetchPages(ctx, req, params, files, opts, forward, maxPages, pages, acks)
	}()
	// On any return, stop the producer and wait for it, so no upstream call outlives the stream.
	defer wg.Wait()
	defer cancel()

	index, resume := 0, req.GetPageToken()
	for {
		var (
			p    page
			more bool
		)
		select {
		case p, more = <-pages:
		case <-s.stopping:
			if index > 0 && resume == "" {
				return nil // the last page sent was the last page
			}
			return toStatus(shuttingDown(resume, s.tokens.shared))
		}
		if !more {
			break
		}
		if p.err != nil {
			return toStatus(p.err)
		}
		msg, err := s.pageMessage(req, p.resp, index, forward)
		if err != nil {
			return toStatus(err)
		}
		if err := stream.Send(msg); err != nil {
			return err
		}
		resume = msg.GetNextPageToken()
		if acks != nil {
			acks <- struct{}{} // never blocks: the producer takes each ack before delivering again
		}
		index++
	}
	if err := ctx.Err(); err != nil {
		return toStatus(err)
	}
	return nil
}

// shuttingDown is the status that ends a stream when the gateway drains; resume is the token of the
// page after the last one sent (the request's own token, or none, when no page was sent). shared
// says whether other instances accept this gateway's page tokens (see pageTokens).
func shuttingDown(resume string, shared bool) *Error {
	e := &Error{Code: codes.Unavailable, Reason: ReasonShuttingDown,
		Message: "the gateway is shutting down; resume the stream on another instance with the page_token of the last page " +
			"received (gateways that share --page-token-secret accept each other's tokens)"}
	if !shared {
		e.Message = "the gateway is shutting down; start the stream again on another instance: this gateway has no " +
			"--page-token-secret, so no other instance (nor this one after a restart) accepts its page tokens"
	}
	if resume != "" {
		e.Metadata = map[string]string{"resume_page_token": resume}
	}
	return e
}

// fetchPages runs the upstream calls of a Paginate stream and delivers them on out. When acks is
// not nil (no prefetch) the next fetch starts only after the previous page was sent to the caller.
func (s *actionService) fetchPages(ctx context.Context, req *bosav1.PaginateRequest, params, files map[string]any,
	opts []bosaclient.CallOption, forward bool, maxPages int, out chan<- page, acks <-chan struct{}) {
	seen := map[string]bool{}
	for n := 0; n < maxPages; n++ {
		key := pageKey(params)
		if seen[key] {
			s.deliver(ctx, out, page{err: bosaclient.ErrNoProgress})
			return
		}
		seen[key] = true
		r, err := s.client.Execute(ctx, req.GetConnector(), req.GetAction(), params, opts...)
		if err == nil && r.File != nil {
			err = &Error{Code: codes.FailedPrecondition, Reason: ReasonUpstreamError, Message: "the action returned a file, not a page"}
		}
		if err != nil {
			s.deliver(ctx, out, page{err: err})
			return
		}
		if !s.deliver(ctx, out, page{resp: r}) {
			return
		}
		next, ok, err := step(r, forward)
		if err == nil && ok && n+1 < maxPages && acks != nil {
			select {
			case <-acks:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			s.deliver(ctx, out, page{err: err})
			return
		}
		if !ok {
			return
		}
		params = mergeFiles(next, files)
	}
}

// deliver sends p unless ctx ends first; it reports whether the page was delivered.
func (s *actionService) deliver(ctx context.Context, out chan<- page, p page) bool {
	select {
	case out <- p:
		return true
	case <-ctx.Done():
		return false
	}
}

// step returns the parameters of the neighbouring page in the given direction; ok is false when there
// is none. A page that claims a neighbour but gives no way to reach it is ErrNoProgress.
func step(r *bosaclient.ActionResponse, forward bool) (map[string]any, bool, error) {
	has, next := r.HasNext, r.NextParams
	if !forward {
		has, next = r.HasPrev, r.PrevParams
	}
	if !has() {
		return nil, false, nil
	}
	p, ok := next()
	if !ok {
		return nil, false, bosaclient.ErrNoProgress
	}
	return p, true, nil
}

// pageMessage builds the streamed message of one page, with the token to resume after it.
func (s *actionService) pageMessage(req *bosav1.PaginateRequest, r *bosaclient.ActionResponse, index int, forward bool) (*bosav1.PaginateResponse, error) {
	data, meta, err := dataAndMeta(r)
	if err != nil {
		return nil, err
	}
	msg := &bosav1.PaginateResponse{
		Index: int32(index), Data: data, Meta: meta,
		HasNext: r.HasNext(), HasPrev: r.HasPrev(), UpstreamStatus: int32(r.Status),
	}
	if p, ok, _ := step(r, forward); ok {
		if msg.NextPageToken, err = s.tokens.encode(req.GetConnector(), req.GetAction(), p); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// prepare validates the gateway-level fields of a request and builds the upstream parameters (from
// input, or from page_token) and call options.
func (s *actionService) prepare(ctx context.Context, req actionInput) (map[string]any, []bosaclient.CallOption, error) {
	if err := checkConnector(req.GetConnector()); err != nil {
		return nil, nil, err
	}
	if err := checkName("action", "action", req.GetAction()); err != nil {
		return nil, nil, err
	}
	opts, err := s.callOptions(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	attempts := int(req.GetMaxAttempts())
	switch {
	case attempts < 0:
		return nil, nil, invalidRequest("max_attempts", "must not be negative")
	case attempts == 0:
		attempts = s.defaultAttempts
	case attempts > s.maxAttempts:
		attempts = s.maxAttempts
	}
	// data is decoded straight into a google.protobuf.Value (dataAndMeta), not into Go maps first.
	opts = append(opts, bosaclient.WithMaxAttempts(attempts), bosaclient.WithRawData())

	var params map[string]any
	if tok := req.GetPageToken(); tok != "" {
		if params, err = s.tokens.decode(tok, req.GetConnector(), req.GetAction()); err != nil {
			return nil, nil, err
		}
	} else {
		params = req.GetInput().AsMap()
		if len(req.GetResponseFields()) > 0 {
			fields := make([]any, len(req.GetResponseFields()))
			for i, f := range req.GetResponseFields() {
				fields[i] = f
			}
			params["response_fields"] = fields
		}
		if len(req.GetResponseFilters()) > 0 {
			filters, err := shapeFilters(req.GetResponseFilters())
			if err != nil {
				return nil, nil, err
			}
			params["response_filters"] = filters
		}
	}
	files, err := s.files(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	return mergeFiles(params, files), opts, nil
}

// files groups the request's files by parameter: a bosaclient.File for a single-file parameter, a
// []bosaclient.File when the parameter is an array in the action's schema or several files name it.
func (s *actionService) files(ctx context.Context, req actionInput) (map[string]any, error) {
	if len(req.GetFiles()) == 0 {
		return nil, nil
	}
	a, err := s.client.Action(ctx, req.GetConnector(), req.GetAction())
	if err != nil {
		return nil, err
	}
	grouped := map[string][]bosaclient.File{}
	var order []string
	for i, f := range req.GetFiles() {
		if f.GetParameter() == "" {
			return nil, invalidRequest("files["+strconv.Itoa(i)+"].parameter", "is required")
		}
		if _, ok := grouped[f.GetParameter()]; !ok {
			order = append(order, f.GetParameter())
		}
		grouped[f.GetParameter()] = append(grouped[f.GetParameter()], bosaclient.NewFile(f.GetFilename(), f.GetContentType(), f.GetData()))
	}
	out := make(map[string]any, len(grouped))
	for _, name := range order {
		fs := grouped[name]
		isArray := false
		if a.Schema != nil {
			if p := a.Schema.Properties[name]; p != nil && p.NonNull().Type == "array" {
				isArray = true
			}
		}
		if len(fs) == 1 && !isArray {
			out[name] = fs[0]
		} else {
			out[name] = fs
		}
	}
	return out, nil
}

// mergeFiles returns params with the file parameters set (files win over same-named inputs).
func mergeFiles(params, files map[string]any) map[string]any {
	if len(files) == 0 {
		return params
	}
	out := make(map[string]any, len(params)+len(files))
	for k, v := range params {
		out[k] = v
	}
	for k, v := range files {
		out[k] = v
	}
	return out
}

// filesOf returns the file parameters of params.
func filesOf(params map[string]any) map[string]any {
	var out map[string]any
	for k, v := range params {
		if isFile(v) {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

// withoutFiles returns params without file parameters (page tokens never carry file bytes).
func withoutFiles(params map[string]any) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		if !isFile(v) {
			out[k] = v
		}
	}
	return out
}

func isFile(v any) bool {
	switch t := v.(type) {
	case bosaclient.File, *bosaclient.File, []bosaclient.File, []*bosaclient.File:
		return true
	case []any:
		return len(t) > 0 && isFile(t[0])
	}
	return false
}

// pageKey identifies a page request by cursor and page number, to stop a stream the upstream would
// otherwise lead in a circle.
func pageKey(p map[string]any) string {
	b, _ := json.Marshal([]any{p["cursor"], p["page"]})
	return string(b)
}

// dataAndMeta converts an action's JSON answer (its data decoded or, with bosaclient.WithRawData, raw).
func dataAndMeta(r *bosaclient.ActionResponse) (*structpb.Value, *structpb.Struct, error) {
	var (
		data *structpb.Value
		err  error
	)
	if r.RawData != nil {
		data, err = jsonToValue(r.RawData)
	} else {
		data, err = structpb.NewValue(r.Data)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("convert data: %w", err)
	}
	var meta *structpb.Struct
	if r.Meta != nil {
		if meta, err = structpb.NewStruct(r.Meta); err != nil {
			return nil, nil, fmt.Errorf("convert meta: %w", err)
		}
	}
	return data, meta, nil
}

// dataWire encodes raw JSON data as the ExecuteActionResponse.data field (number 1, a
// google.protobuf.Value) in protobuf wire form. Set as the message's unknown fields it is marshalled
// verbatim, and every reader decodes it as the data field: the same answer as with Result set, without
// building the Value tree and marshalling it (most of a JSON answer's cost in the gateway). The REST
// face writes it as JSON without a tree either (wireJSON): protojson ignores unknown fields.
func dataWire(raw []byte) ([]byte, error) {
	b, err := jsonToWire(raw, func(n int) []byte {
		b := make([]byte, 0, 1+protowire.SizeVarint(uint64(n))+n)
		b = protowire.AppendTag(b, dataFieldNumber, protowire.BytesType)
		return protowire.AppendVarint(b, uint64(n))
	})
	if err != nil {
		return nil, fmt.Errorf("convert data: %w", err)
	}
	return b, nil
}

// dataFieldNumber is ExecuteActionResponse.data's field number.
var dataFieldNumber = (&bosav1.ExecuteActionResponse{}).ProtoReflect().Descriptor().Fields().ByName("data").Number()

// filterTypes maps the proto enum to BOSA's filter type names.
var filterTypes = map[bosav1.ResponseFilterType]string{
	bosav1.ResponseFilterType_RESPONSE_FILTER_TYPE_STRING:       shape.TypeString,
	bosav1.ResponseFilterType_RESPONSE_FILTER_TYPE_STRING_LIST:  shape.TypeStringList,
	bosav1.ResponseFilterType_RESPONSE_FILTER_TYPE_NUMBER:       shape.TypeNumber,
	bosav1.ResponseFilterType_RESPONSE_FILTER_TYPE_NUMBER_LIST:  shape.TypeNumberList,
	bosav1.ResponseFilterType_RESPONSE_FILTER_TYPE_NUMBER_RANGE: shape.TypeNumberRange,
	bosav1.ResponseFilterType_RESPONSE_FILTER_TYPE_DATE_RANGE:   shape.TypeDateRange,
}

// shapeFilters converts and checks response filters; the upstream re-validates them.
func shapeFilters(in []*bosav1.ResponseFilter) ([]any, error) {
	out := make([]any, 0, len(in))
	for i, f := range in {
		field := "response_filters[" + strconv.Itoa(i) + "]"
		if err := checkEnum(field+".type", f.GetType()); err != nil {
			return nil, err
		}
		typ, ok := filterTypes[f.GetType()]
		if !ok {
			return nil, invalidRequest(field+".type", "must be set to a known filter type")
		}
		if f.GetFieldName() == "" {
			return nil, invalidRequest(field+".field_name", "is required")
		}
		sf := shape.Filter{
			Type: typ, FieldName: f.GetFieldName(), Root: f.GetRoot(),
			FromDate: f.GetFromDate(), ToDate: f.GetToDate(),
		}
		if f.Value != nil {
			sf.Value = f.GetValue().AsInterface()
		}
		if (typ == shape.TypeString || typ == shape.TypeNumber) && sf.Value == nil {
			return nil, invalidRequest(field+".value", "is required for type "+typ)
		}
		for _, v := range f.GetValues() {
			sf.Values = append(sf.Values, v.AsInterface())
		}
		if f.IgnoreCase != nil {
			ic := f.GetIgnoreCase()
			sf.IgnoreCase = &ic
		}
		if f.FromValue != nil {
			v := f.GetFromValue()
			sf.FromValue = &v
		}
		if f.ToValue != nil {
			v := f.GetToValue()
			sf.ToValue = &v
		}
		out = append(out, sf)
	}
	return out, nil
}
