package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// LoadClients reads a clients file (protocol §16 row 7: clients seeded from configuration), a JSON
// array of objects with a "name" and an "api_key":
//
//	[
//	  {"name": "team-a", "api_key": "sk-client-team-a-local"},
//	  {"name": "team-b", "api_key": "sk-client-team-b-local"}
//	]
//
// Every entry needs a non-empty name and api_key, and no two entries may share an api_key; other
// fields are rejected. Errors name the file and the entry (1-based), never a key. Pass the result
// to WithClients.
func LoadClients(path string) ([]Client, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("clients file: %w", err)
	}
	var entries []struct {
		Name   string `json:"name"`
		APIKey string `json:"api_key"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf(`clients file %s: want a JSON array of {"name": …, "api_key": …} objects: %w`, path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("clients file %s: unexpected data after the JSON array", path)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf(`clients file %s: no clients; add {"name": …, "api_key": …} objects to the array`, path)
	}
	clients := make([]Client, 0, len(entries))
	seen := map[string]int{} // api_key → entry number
	for i, e := range entries {
		n := i + 1
		name, key := strings.TrimSpace(e.Name), strings.TrimSpace(e.APIKey)
		entry := "entry " + strconv.Itoa(n)
		if name != "" {
			entry += " (" + strconv.Quote(name) + ")"
		}
		switch {
		case name == "":
			return nil, fmt.Errorf(`clients file %s: %s: "name" is missing or empty`, path, entry)
		case key == "":
			return nil, fmt.Errorf(`clients file %s: %s: "api_key" is missing or empty`, path, entry)
		case seen[key] != 0:
			return nil, fmt.Errorf(`clients file %s: %s: "api_key" repeats the key of entry %d; each client needs its own key`, path, entry, seen[key])
		}
		seen[key] = n
		clients = append(clients, Client{Name: name, APIKey: key})
	}
	return clients, nil
}

// ClientNames returns the clients' names, for logs and startup messages, which must never show
// a key.
func ClientNames(clients []Client) []string {
	names := make([]string, len(clients))
	for i, c := range clients {
		names[i] = c.Name
	}
	return names
}
