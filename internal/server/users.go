package server

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// userService implements bosav1.UserServiceServer.
type userService struct {
	bosav1.UnimplementedUserServiceServer
	*services
}

// CreateUser registers a user of the calling BOSA client. A retry with the same request_id gets the
// first call's answer (see idempotency.go).
func (s *userService) CreateUser(ctx context.Context, req *bosav1.CreateUserRequest) (*bosav1.User, error) {
	if req.GetIdentifier() == "" {
		return nil, toStatus(invalidRequest("identifier", "is required"))
	}
	if err := checkRequestID("request_id", req.GetRequestId()); err != nil {
		return nil, toStatus(err)
	}
	opts, err := s.callOptions(ctx, true)
	if err != nil {
		return nil, toStatus(err)
	}
	out, err := idempotent(ctx, s.requests, "CreateUser", req.GetRequestId(), req, func() (*bosav1.User, error) {
		u, err := s.client.CreateUser(ctx, req.GetIdentifier(), opts...)
		if err != nil {
			return nil, err
		}
		return userProto(u), nil
	})
	return out, toStatus(err)
}

// AuthenticateUser issues a user token.
func (s *userService) AuthenticateUser(ctx context.Context, req *bosav1.AuthenticateUserRequest) (*bosav1.AuthenticateUserResponse, error) {
	if req.GetIdentifier() == "" {
		return nil, toStatus(invalidRequest("identifier", "is required"))
	}
	if req.GetSecret() == "" {
		return nil, toStatus(invalidRequest("secret", "is required"))
	}
	opts, err := s.callOptions(ctx, true)
	if err != nil {
		return nil, toStatus(err)
	}
	t, err := s.client.Authenticate(ctx, req.GetIdentifier(), req.GetSecret(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &bosav1.AuthenticateUserResponse{
		Token: t.Token, TokenType: t.TokenType, Revoked: t.IsRevoked, UserId: t.UserID, ClientId: t.ClientID,
	}
	if !t.ExpiresAt.IsZero() {
		out.ExpireTime = timestamppb.New(t.ExpiresAt)
	}
	return out, nil
}

// GetCurrentUser returns the user of the bearer token.
func (s *userService) GetCurrentUser(ctx context.Context, _ *bosav1.GetCurrentUserRequest) (*bosav1.User, error) {
	opts, err := s.callOptions(ctx, true)
	if err != nil {
		return nil, toStatus(err)
	}
	u, err := s.client.CurrentUser(ctx, opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	return userProto(u), nil
}

func userProto(u *bosaclient.User) *bosav1.User {
	out := &bosav1.User{
		Id: u.ID, ClientId: u.ClientID, Identifier: u.Identifier, Secret: u.Secret,
		SecretPreview: u.SecretPreview, Active: u.IsActive,
	}
	for i := range u.Integrations {
		out.Integrations = append(out.Integrations, integrationProto(&u.Integrations[i], false))
	}
	return out
}
