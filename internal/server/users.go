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

// CreateUser registers a user of the calling BOSA client.
func (s *userService) CreateUser(ctx context.Context, req *bosav1.CreateUserRequest) (*bosav1.CreateUserResponse, error) {
	if req.GetIdentifier() == "" {
		return nil, toStatus(invalidRequest("identifier", "is required"))
	}
	opts, err := s.callOptions(ctx, true)
	if err != nil {
		return nil, toStatus(err)
	}
	u, err := s.client.CreateUser(ctx, req.GetIdentifier(), opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	return &bosav1.CreateUserResponse{User: userProto(u)}, nil
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
		Token: t.Token, TokenType: t.TokenType, IsRevoked: t.IsRevoked, UserId: t.UserID, ClientId: t.ClientID,
	}
	if !t.ExpiresAt.IsZero() {
		out.ExpiresAt = timestamppb.New(t.ExpiresAt)
	}
	return out, nil
}

// GetCurrentUser returns the user of the bearer token.
func (s *userService) GetCurrentUser(ctx context.Context, _ *bosav1.GetCurrentUserRequest) (*bosav1.GetCurrentUserResponse, error) {
	opts, err := s.callOptions(ctx, true)
	if err != nil {
		return nil, toStatus(err)
	}
	u, err := s.client.CurrentUser(ctx, opts...)
	if err != nil {
		return nil, toStatus(err)
	}
	return &bosav1.GetCurrentUserResponse{User: userProto(u)}, nil
}

func userProto(u *bosaclient.User) *bosav1.User {
	out := &bosav1.User{
		Id: u.ID, ClientId: u.ClientID, Identifier: u.Identifier, Secret: u.Secret,
		SecretPreview: u.SecretPreview, IsActive: u.IsActive,
	}
	for i := range u.Integrations {
		out.Integrations = append(out.Integrations, integrationProto(&u.Integrations[i], false))
	}
	return out
}
