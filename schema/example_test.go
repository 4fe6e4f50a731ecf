package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"bosa.dev/gateway/schema"
)

const listPullRequests = `{
  "type": "object", "required": ["owner", "repo"],
  "properties": {
    "owner": {"type": "string"}, "repo": {"type": "string"},
    "state": {"anyOf": [{"type": "string", "enum": ["open", "closed", "all"]}, {"type": "null"}], "default": null},
    "page": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": null}}}`

// A client validates strictly: every violation is reported, unknown parameters included.
func ExampleSchema_Validate() {
	var s schema.Schema
	_ = json.Unmarshal([]byte(listPullRequests), &s)

	_, err := s.Validate(map[string]any{"repo": "web", "page": "x", "state": "merged", "sort": "asc"}, schema.Options{})
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		for _, v := range ve.Violations {
			fmt.Printf("%s: %s\n", v.Field, v.Description)
		}
	}
	// Output:
	// page: must be an integer, got string "x"
	// state: must be one of "open", "closed", "all", got string "merged"
	// owner: is required
	// sort: is not a parameter of this action (known: owner, page, repo, state)
}

// A server validates leniently, as pydantic's lax mode: text becomes numbers, unknown keys go.
func ExampleSchema_Validate_lax() {
	var s schema.Schema
	_ = json.Unmarshal([]byte(listPullRequests), &s)

	params, err := s.Validate(map[string]any{"owner": "acme", "repo": "web", "page": "2", "state": nil, "sort": "asc"},
		schema.Options{Lax: true, Unknown: schema.UnknownDrop})
	fmt.Println(params, err)
	// Output: map[owner:acme page:2 repo:web] <nil>
}

func ExampleSchema_Parameters() {
	var s schema.Schema
	_ = json.Unmarshal([]byte(listPullRequests), &s)
	for _, p := range s.Parameters() {
		fmt.Printf("%-5s %-7s required=%v nullable=%v enum=%v\n", p.Name, p.Type, p.Required, p.Nullable, p.Enum)
	}
	// Output:
	// owner string  required=true nullable=false enum=[]
	// page  integer required=false nullable=true enum=[]
	// repo  string  required=true nullable=false enum=[]
	// state string  required=false nullable=true enum=[open closed all]
}
