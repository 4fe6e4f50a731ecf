package goexample_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// gatewayAddr is the gateway's gRPC address (`go run ./cmd/bosa-gateway --sandbox` listens here).
var gatewayAddr = "localhost:50051"

// Example uses the generated Go stubs: a user and its token, an integration, an action that
// fails with a gRPC code and an ErrorInfo reason, and a streamed Paginate over every page.
func Example() {
	conn, err := grpc.NewClient(gatewayAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()

	users := bosav1.NewUserServiceClient(conn)
	identifier := "go-example-" + rand.Text()[:8] // unique within the BOSA client
	created, err := users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: identifier})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := users.AuthenticateUser(ctx, &bosav1.AuthenticateUserRequest{
		Identifier: identifier, Secret: created.GetSecret(),
	})
	if err != nil {
		log.Fatal(err)
	}
	// Credentials travel as metadata: the user's token, and x-api-key when the gateway has no key.
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+auth.GetToken())

	// Without a GitHub integration the action fails: branch on the code and the ErrorInfo reason.
	actions := bosav1.NewActionServiceClient(conn)
	repo, _ := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 50})
	_, err = actions.ExecuteAction(ctx, &bosav1.ExecuteActionRequest{Connector: "github", Action: "list_pull_requests", Input: repo})
	st := status.Convert(err)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == bosav1.ErrorReason_INTEGRATION_MISSING.String() {
			fmt.Println(st.Code(), info.GetReason())
		}
	}

	// Store a GitHub credential (OAuth2 would use InitiateIntegration), then stream every page.
	cfg, _ := structpb.NewStruct(map[string]any{"identifier": identifier + "-gh", "token": "ghp_example"})
	integrations := bosav1.NewIntegrationServiceClient(conn)
	if _, err := integrations.ConfigureIntegration(ctx, &bosav1.ConfigureIntegrationRequest{Connector: "github", Configuration: cfg}); err != nil {
		log.Fatal(err)
	}
	stream, err := actions.Paginate(ctx, &bosav1.PaginateRequest{Connector: "github", Action: "list_pull_requests", Input: repo})
	if err != nil {
		log.Fatal(err)
	}
	pages, prs := 0, 0
	for {
		page, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		pages++
		prs += len(page.GetData().GetListValue().GetValues())
	}
	fmt.Println(pages, "pages,", prs, "pull requests")
	// Output:
	// FailedPrecondition INTEGRATION_MISSING
	// 5 pages, 237 pull requests
}
