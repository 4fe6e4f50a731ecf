package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// forwarded are the HTTP headers a tool call passes to the services as metadata, as the REST face
// does: the caller's credentials, the integration to use, the request id and X-Forwarded-For.
var forwarded = []string{"Authorization", "X-Api-Key", "X-Bosa-Integration", "X-Request-Id", "X-Forwarded-For"}

// Output is a tool's structured result: the action's data and meta, and the tokens of the
// neighbouring pages when it pages.
type Output struct {
	Data          json.RawMessage `json:"data"`
	Meta          json.RawMessage `json:"meta,omitempty"`
	NextPageToken string          `json:"next_page_token,omitempty"`
	PrevPageToken string          `json:"prev_page_token,omitempty"`
}

// ErrorOutput is the structured result of a failed tool call: the gateway's google.rpc.ErrorInfo.
type ErrorOutput struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the gRPC code, the ErrorInfo reason and metadata, and the message of an error.
type ErrorDetail struct {
	Code     string            `json:"code"`
	Reason   string            `json:"reason"`
	Message  string            `json:"message"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// call returns the handler of an action's tool. It runs ExecuteAction over the gateway's own
// connection; every failure, the gateway's or BOSA's, is a tool result with isError, never a
// protocol error, so that the model sees what to fix.
func (h *Handler) call(a *bosaclient.Action, pages bool) sdk.ToolHandler {
	connector, action := a.Connector, a.Name
	return func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		in, token, err := arguments(req.Params.Arguments, pages)
		if err != nil {
			return errorResult(err), nil
		}
		if req.Extra != nil {
			ctx = metadata.NewOutgoingContext(ctx, headerMetadata(req.Extra.Header))
		}
		resp, err := h.actions.ExecuteAction(ctx, &bosav1.ExecuteActionRequest{
			Connector: connector, Action: action, Input: in, PageToken: token,
		})
		if err != nil {
			return errorResult(err), nil
		}
		if f := resp.GetFile(); f != nil {
			return h.fileResult(connector, action, f), nil
		}
		return dataResult(resp)
	}
}

// arguments splits a call's arguments into the action's input and the page token.
func arguments(raw any, pages bool) (*structpb.Struct, string, error) {
	args := map[string]any{}
	var b []byte
	switch v := raw.(type) {
	case nil:
	case json.RawMessage:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, "", invalid("arguments: " + err.Error())
		}
	}
	if len(bytes.TrimSpace(b)) > 0 && !bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		if err := json.Unmarshal(b, &args); err != nil {
			return nil, "", invalid("arguments must be a JSON object: " + err.Error())
		}
	}
	var token string
	if pages {
		if v, ok := args[PageTokenProperty]; ok {
			s, isString := v.(string)
			if !isString && v != nil {
				return nil, "", invalid(PageTokenProperty + " must be a string")
			}
			token = s
			delete(args, PageTokenProperty)
		}
	}
	in, err := structpb.NewStruct(args)
	if err != nil {
		return nil, "", invalid("arguments: " + err.Error())
	}
	return in, token, nil
}

// invalid is the status of arguments that do not decode, shaped as the services' INVALID_REQUEST.
func invalid(msg string) error {
	return errorWithInfo(codes.InvalidArgument, bosav1.ErrorReason_INVALID_REQUEST, msg, nil)
}

func headerMetadata(hdr http.Header) metadata.MD {
	md := metadata.MD{}
	for _, k := range forwarded {
		if v := hdr.Values(k); len(v) > 0 {
			md[strings.ToLower(k)] = v
		}
	}
	return md
}

// dataResult renders data and meta as structured content, and the same JSON as text for clients
// that read only text.
func dataResult(resp *bosav1.ExecuteActionResponse) (*sdk.CallToolResult, error) {
	out := Output{Data: json.RawMessage("null"), NextPageToken: resp.GetNextPageToken(), PrevPageToken: resp.GetPrevPageToken()}
	var err error
	if d := resp.GetData(); d != nil {
		if out.Data, err = protojson.Marshal(d); err != nil {
			return errorResult(status.Errorf(codes.Internal, "render data: %v", err)), nil
		}
	}
	if m := resp.GetMeta(); m != nil {
		if out.Meta, err = protojson.Marshal(m); err != nil {
			return errorResult(status.Errorf(codes.Internal, "render meta: %v", err)), nil
		}
	}
	text, err := json.Marshal(out) // compacts the raw JSON too
	if err != nil {
		return errorResult(status.Errorf(codes.Internal, "render result: %v", err)), nil
	}
	return &sdk.CallToolResult{
		Content:           []sdk.Content{&sdk.TextContent{Text: string(text)}},
		StructuredContent: json.RawMessage(text),
	}, nil
}

// fileResult returns a file as an embedded resource, or, above the size limit, an error that
// points to the file RPCs.
func (h *Handler) fileResult(connector, action string, f *bosav1.File) *sdk.CallToolResult {
	if len(f.GetData()) > h.cfg.MaxFileBytes {
		return errorResult(errorWithInfo(codes.ResourceExhausted, bosav1.ErrorReason_RESPONSE_TOO_LARGE, fmt.Sprintf(
			"the file %s is %d bytes, over the MCP limit of %d (--mcp-max-file-bytes); download it with "+
				"ActionService.DownloadFile (REST: POST /v1/connectors/%s/actions/%s:download), which streams it",
			quote(f.GetFilename()), len(f.GetData()), h.cfg.MaxFileBytes, connector, action),
			map[string]string{"size": strconv.Itoa(len(f.GetData())), "limit": strconv.Itoa(h.cfg.MaxFileBytes)}))
	}
	mime := f.GetContentType()
	if mime == "" {
		mime = "application/octet-stream"
	}
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{
		URI:      "bosa://" + connector + "/" + action + "/" + url.PathEscape(f.GetFilename()),
		MIMEType: mime,
		Blob:     f.GetData(),
	}}}}
}

// errorDomain is the ErrorInfo domain of every gateway error (server.ErrorDomain).
const errorDomain = "bosa.dev"

// errorWithInfo is an error the MCP face makes itself, with the ErrorInfo the services' errors carry.
func errorWithInfo(code codes.Code, reason bosav1.ErrorReason, msg string, md map[string]string) error {
	st := status.New(code, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason.String(), Domain: errorDomain, Metadata: md}); err == nil {
		st = d
	}
	return st.Err()
}

// errorResult is a failed call as a tool result: "REASON: message" as text and the ErrorInfo as
// structured content.
func errorResult(err error) *sdk.CallToolResult {
	st := status.Convert(err)
	d := ErrorDetail{Code: st.Code().String(), Message: st.Message()}
	for _, det := range st.Details() {
		if info, ok := det.(*errdetails.ErrorInfo); ok {
			d.Reason, d.Metadata = info.GetReason(), info.GetMetadata()
		}
	}
	if d.Reason == "" {
		d.Reason = st.Code().String()
	}
	structured, _ := json.Marshal(ErrorOutput{Error: d})
	return &sdk.CallToolResult{
		IsError:           true,
		Content:           []sdk.Content{&sdk.TextContent{Text: d.Reason + ": " + d.Message}},
		StructuredContent: json.RawMessage(structured),
	}
}
