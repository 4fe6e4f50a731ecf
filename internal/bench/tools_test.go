package bench

import (
	"strings"
	"testing"
	"time"
)

// wrkOut is wrk 4.1.0's output with the harness's script (the BOSA-BENCH line is the script's).
const wrkOut = `Running 1s test @ http://127.0.0.1:8080/v1/x
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   412.00us  100.00us   4.00ms   90.00%
  2310 requests in 1.00s, 3.00MB read
Requests/sec:   2309.12
Transfer/sec:      3.00MB
BOSA-BENCH requests=2310 duration_us=1000373 status=%d connect=0 read=0 write=0 timeout=0 p50_us=398 p90_us=467 p99_us=1021
`

func TestParseWRK(t *testing.T) {
	r, err := parseWRK([]byte(strings.Replace(wrkOut, "%d", "0", 1)), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Calls != 2310 || r.Elapsed != 1000373*time.Microsecond || r.P(50) != 398*time.Microsecond || r.P(90) != 467*time.Microsecond ||
		r.P(99) != 1021*time.Microsecond || r.Throughput() < 2309 || r.Throughput() > 2310 {
		t.Errorf("parsed %+v", r)
	}
	for _, tc := range []struct{ name, out, want string }{
		{"non-2xx answers", strings.Replace(wrkOut, "%d", "3", 1), "3 of 2310 requests failed"},
		{"no result line", "Running 1s test @ x\n", "printed no result"},
		{"malformed field", "BOSA-BENCH requests=x\n", "malformed field"},
		{"missing field", "BOSA-BENCH requests=1 duration_us=1\n", "lacks p50_us"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseWRK([]byte(tc.out), 1); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// ghzOut is ghz v0.93.0's JSON report (-O json), shortened: a run whose end cut two calls.
const ghzOut = `{"date":"2026-12-06T02:16:07Z","endReason":"timeout","count":1050,"total":301603624,"average":528855,
"rps":3481.39,"errorDistribution":{"rpc error: code = Unavailable desc = transport is closing":2},
"statusCodeDistribution":{"OK":1048,"Unavailable":2},"latencyDistribution":[{"percentage":10,"latency":140809},
{"percentage":50,"latency":201329},{"percentage":90,"latency":360795},{"percentage":95,"latency":734911},
{"percentage":99,"latency":4260879}]}`

func TestParseGHZ(t *testing.T) {
	r, err := parseGHZ([]byte(ghzOut), 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Calls != 1048 || r.Cut != 2 || r.Elapsed != 301603624 || r.P(50) != 201329 || r.P(90) != 360795 || r.P(99) != 4260879 {
		t.Errorf("parsed %+v", r)
	}
	for _, tc := range []struct {
		name, out string
		conc      int
		want      string
	}{
		{"more cut than two per worker", strings.Replace(ghzOut, `closing":2}`, `closing":3}`, 1), 1, "2 of 1050 calls failed"},
		{"server errors", strings.NewReplacer(`transport is closing`, `UPSTREAM_UNAVAILABLE`).Replace(ghzOut), 2, "2 of 1050 calls failed"},
		{"not JSON", "Error: no such method", 2, "ghz report"},
		{"no calls", `{"count":0,"statusCodeDistribution":{}}`, 2, "without calls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseGHZ([]byte(tc.out), tc.conc); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLuaString(t *testing.T) {
	for in, want := range map[string]string{
		`{"a": "b\c"}`:  `"{\"a\": \"b\\c\"}"`,
		"line\nbreak é": `"line\010break \195\169"`,
		"":              `""`,
	} {
		if got := luaString(in); got != want {
			t.Errorf("luaString(%q) = %s, want %s", in, got, want)
		}
	}
}
