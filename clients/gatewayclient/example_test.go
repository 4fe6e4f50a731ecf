package gatewayclient_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/clients/gatewayclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// Example: a user and its token, an action that fails with an ErrorReason, a stored integration,
// and a Paginate loop that stops after two pages (which cancels the stream).
func Example() {
	ctx := context.Background()
	anon, err := gatewayclient.Dial(gatewayAddr) // add gatewayclient.WithAPIKey(...) when the gateway has no key
	if err != nil {
		log.Fatal(err)
	}
	defer anon.Close()
	id := "go-example-" + rand.Text()[:8]
	user, err := anon.Users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: id})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := anon.Users.AuthenticateUser(ctx, &bosav1.AuthenticateUserRequest{Identifier: id, Secret: user.GetSecret()})
	if err != nil {
		log.Fatal(err)
	}

	// Every call carries the token, a 30 s default deadline and the published retry policy.
	c, err := gatewayclient.Dial(gatewayAddr, gatewayclient.WithToken(auth.GetToken()))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	repo, _ := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web", "per_page": 20})
	_, err = c.Actions.ExecuteAction(ctx, &bosav1.ExecuteActionRequest{Connector: "github", Action: "list_pull_requests", Input: repo})
	if gatewayclient.ReasonOf(err) == bosav1.ErrorReason_INTEGRATION_MISSING {
		fmt.Println(status.Code(err), gatewayclient.ReasonOf(err))
	}

	cfg, _ := structpb.NewStruct(map[string]any{"identifier": id + "-gh", "token": "ghp_example"})
	if _, err := c.Integrations.ConfigureIntegration(ctx, &bosav1.ConfigureIntegrationRequest{Connector: "github", Configuration: cfg}); err != nil {
		log.Fatal(err)
	}
	pages := 0
	for page, err := range c.Paginate(ctx, &bosav1.PaginateRequest{Connector: "github", Action: "list_pull_requests", Input: repo}) {
		if err != nil {
			log.Fatal(err)
		}
		pages++
		fmt.Println("page", page.GetIndex(), len(page.GetData().GetListValue().GetValues()), "pull requests")
		if pages == 2 {
			break
		}
	}
	// Output:
	// FailedPrecondition INTEGRATION_MISSING
	// page 0 20 pull requests
	// page 1 20 pull requests
}
