package server

import (
	"context"
	"strings"

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
	u, err := s.client.InitiateIntegration(ctx, req.GetConnector(), req.GetCallbackUrl(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	return &bosav1.InitiateIntegrationResponse{Url: u}, nil
}

// ConfigureIntegration stores a custom integration.
func (s *integrationService) ConfigureIntegration(ctx context.Context, req *bosav1.ConfigureIntegrationRequest) (*bosav1.ConfigureIntegrationResponse, error) {
	if len(req.GetConfiguration().GetFields()) == 0 {
		return nil, toStatus(invalidRequest("configuration", "is required"))
	}
	opts, err := s.prepare(ctx, req.GetConnector())
	if err != nil {
		return nil, toStatus(err)
	}
	res, err := s.client.ConfigureIntegration(ctx, req.GetConnector(), req.GetConfiguration().AsMap(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	if !s.exposeCredentials {
		redactSecrets(res)
	}
	st, err := jsonStruct(res)
	if err != nil {
		return nil, toStatus(err)
	}
	return &bosav1.ConfigureIntegrationResponse{Result: st}, nil
}

// ListIntegrations lists the user's integrations.
func (s *integrationService) ListIntegrations(ctx context.Context, req *bosav1.ListIntegrationsRequest) (*bosav1.ListIntegrationsResponse, error) {
	opts, err := s.callOptions(ctx, true)
	if err != nil {
		return nil, toStatus(err)
	}
	list, err := s.client.ListIntegrations(ctx, req.GetConnector(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &bosav1.ListIntegrationsResponse{}
	for i := range list {
		out.Integrations = append(out.Integrations, integrationProto(&list[i], false))
	}
	return out, nil
}

// GetIntegration returns one integration, its credential redacted unless exposure is allowed.
func (s *integrationService) GetIntegration(ctx context.Context, req *bosav1.GetIntegrationRequest) (*bosav1.GetIntegrationResponse, error) {
	opts, err := s.prepareOne(ctx, req.GetConnector(), req.GetUserIdentifier())
	if err != nil {
		return nil, toStatus(err)
	}
	in, err := s.client.GetIntegration(ctx, req.GetConnector(), req.GetUserIdentifier(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	return &bosav1.GetIntegrationResponse{Integration: integrationProto(in, s.exposeCredentials)}, nil
}

// SelectIntegration makes an integration the default.
func (s *integrationService) SelectIntegration(ctx context.Context, req *bosav1.SelectIntegrationRequest) (*bosav1.SelectIntegrationResponse, error) {
	opts, err := s.prepareOne(ctx, req.GetConnector(), req.GetUserIdentifier())
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.client.SelectIntegration(ctx, req.GetConnector(), req.GetUserIdentifier(), opts...); err != nil {
		return nil, toStatus(err)
	}
	return &bosav1.SelectIntegrationResponse{Success: true}, nil
}

// RemoveIntegration deletes an integration.
func (s *integrationService) RemoveIntegration(ctx context.Context, req *bosav1.RemoveIntegrationRequest) (*bosav1.RemoveIntegrationResponse, error) {
	opts, err := s.prepareOne(ctx, req.GetConnector(), req.GetUserIdentifier())
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.client.RemoveIntegration(ctx, req.GetConnector(), req.GetUserIdentifier(), opts...); err != nil {
		return nil, toStatus(err)
	}
	return &bosav1.RemoveIntegrationResponse{Success: true}, nil
}

func (s *integrationService) prepare(ctx context.Context, connector string) ([]bosaclient.CallOption, error) {
	if connector == "" {
		return nil, invalidRequest("connector", "is required")
	}
	return s.callOptions(ctx, true)
}

func (s *integrationService) prepareOne(ctx context.Context, connector, uid string) ([]bosaclient.CallOption, error) {
	if uid == "" {
		return nil, invalidRequest("user_identifier", "is required")
	}
	return s.prepare(ctx, connector)
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
