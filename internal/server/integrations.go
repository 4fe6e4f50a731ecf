package server

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/emptypb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// integrationService implements bosav1.IntegrationServiceServer.
type integrationService struct {
	bosav1.UnimplementedIntegrationServiceServer
	*services
}

// CheckIntegration tells whether the user has an integration for the connector.
func (s *integrationService) CheckIntegration(ctx context.Context, req *bosav1.CheckIntegrationRequest) (*bosav1.CheckIntegrationResponse, error) {
	opts, err := s.prepare(ctx, req.GetConnector())
	if err != nil {
		return nil, toStatus(err)
	}
	ok, err := s.client.HasIntegration(ctx, req.GetConnector(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	return &bosav1.CheckIntegrationResponse{HasIntegration: ok}, nil
}

// InitiateIntegration starts an OAuth2 integration.
func (s *integrationService) InitiateIntegration(ctx context.Context, req *bosav1.InitiateIntegrationRequest) (*bosav1.InitiateIntegrationResponse, error) {
	if req.GetCallbackUrl() == "" {
		return nil, toStatus(invalidRequest("callback_url", "is required"))
	}
	opts, err := s.prepare(ctx, req.GetConnector())
	if err != nil {
		return nil, toStatus(err)
	}
	if req.GetReplaceDuplicate() {
		opts = append(opts, bosaclient.WithReplaceDuplicate())
	}
	u, err := s.client.InitiateIntegration(ctx, req.GetConnector(), req.GetCallbackUrl(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	return &bosav1.InitiateIntegrationResponse{Url: u}, nil
}

// ConfigureIntegration stores a custom integration.
// A retry with the same request_id gets the first call's answer (see idempotency.go).
func (s *integrationService) ConfigureIntegration(ctx context.Context, req *bosav1.ConfigureIntegrationRequest) (*bosav1.ConfigureIntegrationResponse, error) {
	if len(req.GetConfiguration().GetFields()) == 0 {
		return nil, toStatus(invalidRequest("configuration", "is required"))
	}
	if err := checkRequestID("request_id", req.GetRequestId()); err != nil {
		return nil, toStatus(err)
	}
	opts, err := s.prepare(ctx, req.GetConnector())
	if err != nil {
		return nil, toStatus(err)
	}
	if req.GetReplaceDuplicate() {
		opts = append(opts, bosaclient.WithReplaceDuplicate())
	}
	out, err := idempotent(ctx, s.requests, "ConfigureIntegration", req.GetRequestId(), req, func() (*bosav1.ConfigureIntegrationResponse, error) {
		res, err := s.client.ConfigureIntegration(ctx, req.GetConnector(), req.GetConfiguration().AsMap(), opts...)
		if err != nil {
			return nil, err
		}
		if !s.exposeCredentials {
			redactSecrets(res)
		}
		st, err := jsonStruct(res)
		if err != nil {
			return nil, err
		}
		return &bosav1.ConfigureIntegrationResponse{Result: st}, nil
	})
	return out, toStatus(err)
}

// ListIntegrations lists the user's integrations.
func (s *integrationService) ListIntegrations(ctx context.Context, req *bosav1.ListIntegrationsRequest) (*bosav1.ListIntegrationsResponse, error) {
	if req.GetConnector() != "" {
		if err := checkConnector(req.GetConnector()); err != nil {
			return nil, toStatus(err)
		}
	}
	opts, err := s.callOptions(ctx, true)
	if err != nil {
		return nil, toStatus(err)
	}
	list, err := s.client.ListIntegrations(ctx, req.GetConnector(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	lo, hi, next, err := s.tokens.listPage("bosa.v1.ListIntegrations", req.GetConnector(), req.GetPageSize(), req.GetPageToken(), len(list))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &bosav1.ListIntegrationsResponse{NextPageToken: next}
	for i := lo; i < hi; i++ {
		out.Integrations = append(out.Integrations, integrationProto(&list[i], false))
	}
	return out, nil
}

// GetIntegration returns one integration, its credential redacted unless exposure is allowed.
func (s *integrationService) GetIntegration(ctx context.Context, req *bosav1.GetIntegrationRequest) (*bosav1.Integration, error) {
	opts, err := s.prepareOne(ctx, req.GetConnector(), req.GetUserIdentifier())
	if err != nil {
		return nil, toStatus(err)
	}
	in, err := s.client.GetIntegration(ctx, req.GetConnector(), req.GetUserIdentifier(), opts...)
	if err != nil {
		return nil, toStatus(notFoundIfMissing(err, req.GetConnector(), req.GetUserIdentifier()))
	}
	return integrationProto(in, s.exposeCredentials), nil
}

// SelectIntegration makes an integration the default.
func (s *integrationService) SelectIntegration(ctx context.Context, req *bosav1.SelectIntegrationRequest) (*bosav1.SelectIntegrationResponse, error) {
	opts, err := s.prepareOne(ctx, req.GetConnector(), req.GetUserIdentifier())
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.client.SelectIntegration(ctx, req.GetConnector(), req.GetUserIdentifier(), opts...); err != nil {
		return nil, toStatus(notFoundIfMissing(err, req.GetConnector(), req.GetUserIdentifier()))
	}
	return &bosav1.SelectIntegrationResponse{}, nil
}

// DeleteIntegration deletes an integration.
func (s *integrationService) DeleteIntegration(ctx context.Context, req *bosav1.DeleteIntegrationRequest) (*emptypb.Empty, error) {
	opts, err := s.prepareOne(ctx, req.GetConnector(), req.GetUserIdentifier())
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.client.RemoveIntegration(ctx, req.GetConnector(), req.GetUserIdentifier(), opts...); err != nil {
		return nil, toStatus(notFoundIfMissing(err, req.GetConnector(), req.GetUserIdentifier()))
	}
	return &emptypb.Empty{}, nil
}

func (s *integrationService) prepare(ctx context.Context, connector string) ([]bosaclient.CallOption, error) {
	if err := checkConnector(connector); err != nil {
		return nil, err
	}
	return s.callOptions(ctx, true)
}

func (s *integrationService) prepareOne(ctx context.Context, connector, uid string) ([]bosaclient.CallOption, error) {
	if err := checkConnector(connector); err != nil {
		return nil, err
	}
	if err := checkUserIdentifier(uid); err != nil {
		return nil, err
	}
	return s.callOptions(ctx, true)
}

// integrationProto converts an integration; the credential is kept only when expose is true.
func integrationProto(in *bosaclient.Integration, expose bool) *bosav1.Integration {
	out := &bosav1.Integration{
		Id: in.ID, ClientId: in.ClientID, UserId: in.UserID, Connector: in.Connector,
		UserIdentifier: in.UserIdentifier, Selected: in.Selected, AuthScopes: in.AuthScopes,
	}
	if in.AuthString != "" {
		if expose {
			out.AuthString = in.AuthString
		} else {
			out.AuthStringRedacted = true
		}
	}
	return out
}

// secretKeys are keys whose values ConfigureIntegration's answer never shows unless exposure is allowed.
var secretKeys = map[string]bool{
	"auth_string": true, "password": true, "secret": true, "client_secret": true, "token": true,
	"access_token": true, "refresh_token": true, "api_key": true, "private_key": true, "url": true,
}

// redactSecrets replaces credential-like values in a decoded JSON object, recursively.
func redactSecrets(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if secretKeys[strings.ToLower(k)] {
				if s, ok := e.(string); ok && s != "" {
					t[k] = "[REDACTED]"
					continue
				}
			}
			redactSecrets(e)
		}
	case []any:
		for _, e := range t {
			redactSecrets(e)
		}
	}
}
