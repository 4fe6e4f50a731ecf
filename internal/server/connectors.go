package server

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// connectorService implements bosav1.ConnectorServiceServer over BOSA discovery (cached by bosaclient).
type connectorService struct {
	bosav1.UnimplementedConnectorServiceServer
	*services
}

// ListConnectors lists one page of the connectors with their actions.
func (s *connectorService) ListConnectors(ctx context.Context, req *bosav1.ListConnectorsRequest) (*bosav1.ListConnectorsResponse, error) {
	conns, err := s.client.Connectors(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	lo, hi, next, err := s.tokens.listPage("bosa.v1.ListConnectors", "", req.GetPageSize(), req.GetPageToken(), len(conns))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &bosav1.ListConnectorsResponse{NextPageToken: next}
	for _, c := range conns[lo:hi] {
		pc, err := connectorProto(c)
		if err != nil {
			return nil, toStatus(err)
		}
		out.Connectors = append(out.Connectors, pc)
	}
	return out, nil
}

// GetConnector returns one connector.
func (s *connectorService) GetConnector(ctx context.Context, req *bosav1.GetConnectorRequest) (*bosav1.Connector, error) {
	if err := checkConnector(req.GetConnector()); err != nil {
		return nil, toStatus(err)
	}
	c, err := s.client.Connector(ctx, req.GetConnector())
	if err != nil {
		return nil, toStatus(err)
	}
	pc, err := connectorProto(c)
	if err != nil {
		return nil, toStatus(err)
	}
	return pc, nil
}

func connectorProto(c *bosaclient.Connector) (*bosav1.Connector, error) {
	pc := &bosav1.Connector{Name: c.Name}
	for _, a := range c.Actions {
		pa := &bosav1.Action{
			Name: a.Name, Summary: a.Summary, Docstring: a.Docstring,
			UpstreamMethod: a.Method, UpstreamPath: a.Path,
		}
		if a.Schema != nil {
			st, err := jsonStruct(a.Schema)
			if err != nil {
				return nil, fmt.Errorf("schema of %s/%s: %w", c.Name, a.Name, err)
			}
			pa.ParametersSchema = st
		}
		pc.Actions = append(pc.Actions, pa)
	}
	return pc, nil
}

// jsonStruct converts any JSON-marshalable object into a Struct.
func jsonStruct(v any) (*structpb.Struct, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	st := &structpb.Struct{}
	if err := st.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return st, nil
}
